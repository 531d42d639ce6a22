"""Load and validate the catalog files; refuse a broken file naming the file, entry and field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from yangfan.catalog.models import Clause, Display, Indicator, Plan, Reading, ScopeEra, Target
from yangfan.errors import Issue, Location, YangfanError, raise_if_errors
from yangfan.geo.periods import parse_period

DATA = Path(__file__).parent / "data"
M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DisplayIn(_Strict):
    unit: str
    unit_en: str
    divisor: float


class ScopeEraIn(_Strict):
    code: str
    start: str | None = Field(None, alias="from")

    _p = field_validator("start", mode="before")(lambda v: None if v is None else _period(v))


class ScopeIn(_Strict):
    zh: str
    en: str


class IndicatorIn(_Strict):
    code: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str
    unit_en: str = ""
    kind: Literal["raw", "derived"]
    decimals: int
    period_type: Literal["month", "quarter", "year"] = "month"
    org_aggregation: Literal["sum", "none"] = "sum"
    time_aggregation: Literal["stock", "flow", "ytd"] = "stock"
    numerator: list[str] = []
    denominator: list[str] = []
    scale: float = 1.0
    display: DisplayIn | None = None
    scopes: list[ScopeEraIn] = []


def _period(value: Any) -> str:
    text = str(value)
    try:
        parse_period(text)
    except YangfanError as exc:  # pydantic reports ValueErrors with the field's location
        raise ValueError(exc.issues[0].message_en) from None
    return text


class ClauseIn(_Strict):
    section: str
    quote: str


class PlanIn(_Strict):
    code: str
    title_zh: str
    title_en: str
    issued: str
    issuer_zh: str
    baseline_period: str
    status_thresholds: dict[Literal["on_track", "behind"], float]
    text: str | None = None
    horizon: str | None = None

    _p = field_validator("issued", "baseline_period", "horizon", mode="before")(
        lambda v: None if v is None else _period(v))


class ReadingIn(_Strict):
    zh: str
    en: str


class TargetIn(_Strict):
    code: str
    indicator: str
    comparator: Literal["超", "达", "track"]
    clause: ClauseIn
    scope: Literal["nation", "province", "city"] = "nation"
    value: float | None = None
    deadline: str | None = None
    note: str = ""
    reading: ReadingIn | None = None
    deadline_from: Literal["clause", "plan"] = "clause"
    computed: str | None = None
    registry: str | None = None

    _p = field_validator("deadline", mode="before")(lambda v: None if v is None else _period(v))


@dataclass(frozen=True)
class Catalog:
    """Every indicator, plan and target, validated together."""

    indicators: dict[str, Indicator]
    plans: dict[str, Plan]
    targets: dict[str, Target]
    #: Names of the coverages (口径) that indicators' scope eras refer to.
    scopes: dict[str, ScopeIn]

    def indicator(self, code: str) -> Indicator:
        """The indicator with this code, or a clear error."""
        try:
            return self.indicators[code]
        except KeyError:
            raise YangfanError.single(
                "indicator.unknown", f"未知的指标代码“{code}”", f"unknown indicator code '{code}'",
                Location(field="indicator"),
            ) from None

    def targets_of(self, plan: str) -> list[Target]:
        """The targets of one plan, in catalog order."""
        return [t for t in self.targets.values() if t.plan == plan]


def _pydantic_issues(exc: ValidationError, file: str, entry: str) -> list[Issue]:
    out = []
    for err in exc.errors():
        fld = ".".join(str(p) for p in err["loc"]) or "-"
        missing = err["type"] == "missing"
        zh = "缺少必填字段" if missing else f"字段值无效：{err['msg']}"
        en = "required field is missing" if missing else f"invalid value: {err['msg']}"
        out.append(Issue("catalog.field", zh, en, Location(file=file, entry=entry, field=fld)))
    return out


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise YangfanError.single(
            "catalog.yaml", f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}", Location(file=path.name)
        ) from None


def _entry_name(raw: Any, i: int) -> str:
    code = raw.get("code") if isinstance(raw, dict) else None
    return f"entry {i + 1} ({code})" if code else f"entry {i + 1}"


def _entries(raws: list[Any], model: type[M], file: str, issues: list[Issue]) -> Iterator[tuple[str, M]]:
    """Each entry of a list that parses, with its name; the others become issues."""
    for i, raw in enumerate(raws):
        entry = _entry_name(raw, i)
        try:
            yield entry, model.model_validate(raw)
        except ValidationError as exc:
            issues.extend(_pydantic_issues(exc, file, entry))


def _parse_indicators(path: Path, issues: list[Issue]) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for entry, m in _entries(_read_yaml(path) or [], IndicatorIn, path.name, issues):
        if m.code in out:
            issues.append(Issue("catalog.duplicate", f"指标代码重复：{m.code}", f"duplicate indicator code {m.code}",
                                Location(file=path.name, entry=entry, field="code")))
            continue
        try:
            out[m.code] = Indicator(
                **m.model_dump(exclude={"display", "numerator", "denominator", "scopes"}),
                numerator=tuple(m.numerator), denominator=tuple(m.denominator),
                display=Display(**m.display.model_dump()) if m.display else None,
                scopes=tuple(ScopeEra(e.code, parse_period(e.start) if e.start else None) for e in m.scopes),
            )
        except ValueError as exc:
            issues.append(Issue("catalog.indicator", f"指标定义无效：{exc}", f"invalid indicator: {exc}",
                                Location(file=path.name, entry=entry, field="kind")))
    return out


def _check_inputs(indicators: dict[str, Indicator], file: str, issues: list[Issue]) -> None:
    for ind in indicators.values():
        for role in ("numerator", "denominator"):
            for code in getattr(ind, role):
                src = indicators.get(code)
                if src is None or src.kind != "raw" or src.org_aggregation != "sum":
                    issues.append(Issue(
                        "catalog.input",
                        f"{role} 引用的指标 {code} 不存在或不是可加总的原始指标",
                        f"{role} refers to {code}, which is not a summable raw indicator",
                        Location(file=file, entry=ind.code, field=role)))


def _parse_plan(path: Path, indicators: dict[str, Indicator], issues: list[Issue]) -> tuple[Plan | None, list[Target]]:
    doc = _read_yaml(path) or {}
    try:
        p = PlanIn.model_validate(doc.get("plan"))
    except ValidationError as exc:
        issues.extend(_pydantic_issues(exc, path.name, "plan"))
        return None, []
    plan = Plan(p.code, p.title_zh, p.title_en, parse_period(p.issued), p.issuer_zh,
                parse_period(p.baseline_period), p.status_thresholds["on_track"], p.status_thresholds["behind"],
                parse_period(p.horizon) if p.horizon else None, p.text)
    targets = []
    for entry, t in _entries(doc.get("targets") or [], TargetIn, path.name, issues):
        if t.indicator not in indicators:
            issues.append(Issue("catalog.target_indicator", f"目标引用了未知指标 {t.indicator}",
                                f"target refers to unknown indicator {t.indicator}",
                                Location(file=path.name, entry=entry, field="indicator")))
            continue
        if t.deadline_from == "plan" and (plan.horizon is None or t.deadline != str(plan.horizon)):
            issues.append(Issue("catalog.target_horizon", f"条款未写明期限时，期限应为规划期末 {plan.horizon}",
                                f"a clause without a date takes the plan's horizon {plan.horizon} as its deadline",
                                Location(file=path.name, entry=entry, field="deadline")))
            continue
        if t.computed is not None and (t.computed not in indicators or indicators[t.computed].kind != "derived"
                                       or indicators[t.computed].unit != indicators[t.indicator].unit):
            issues.append(Issue("catalog.target_computed",
                                f"目标的计算指标 {t.computed} 不存在、不是派生指标或单位不同",
                                f"the target's computed indicator {t.computed} is unknown, not derived "
                                "or in another unit",
                                Location(file=path.name, entry=entry, field="computed")))
            continue
        if t.registry is not None and (t.registry not in indicators or indicators[t.registry].kind != "raw"
                                       or indicators[t.registry].unit != indicators[t.indicator].unit):
            issues.append(Issue("catalog.target_registry",
                                f"目标的名录计数指标 {t.registry} 不存在、不是原始指标或单位不同",
                                f"the target's registry count {t.registry} is unknown, not raw or in another unit",
                                Location(file=path.name, entry=entry, field="registry")))
            continue
        try:
            targets.append(Target(
                t.code, plan.code, t.indicator, t.comparator, Clause(t.clause.section, t.clause.quote), t.scope,
                t.value, parse_period(t.deadline) if t.deadline else None, t.note,
                Reading(t.reading.zh, t.reading.en) if t.reading else None, t.deadline_from, t.computed,
                t.registry))
        except ValueError as exc:
            issues.append(Issue("catalog.target", f"目标定义无效：{exc}", f"invalid target: {exc}",
                                Location(file=path.name, entry=entry, field="value")))
    return plan, targets


def _parse_scopes(path: Path, indicators: dict[str, Indicator], issues: list[Issue]) -> dict[str, ScopeIn]:
    """The coverages (口径) indicators' eras may name; an era naming another one is an issue."""
    scopes = {code: ScopeIn.model_validate(v) for code, v in (_read_yaml(path) or {}).items()}
    for ind in indicators.values():
        for era in ind.scopes:
            if era.code not in scopes:
                issues.append(Issue("catalog.scope", f"未定义的口径 {era.code}（见 scopes.yaml）",
                                    f"scope {era.code} is not defined in scopes.yaml",
                                    Location(file="indicators*.yaml", entry=ind.code, field="scopes")))
    return scopes


def load_catalog(folder: Path = DATA) -> Catalog:
    """Read every ``indicators*.yaml`` and ``plan-*.yaml`` in ``folder``; raise on any problem."""
    issues: list[Issue] = []
    indicators: dict[str, Indicator] = {}
    for path in sorted(folder.glob("indicators*.yaml")):  # one file per domain; codes unique across them
        for code, ind in _parse_indicators(path, issues).items():
            if code in indicators:
                issues.append(Issue("catalog.duplicate", f"指标代码重复：{code}", f"duplicate indicator code {code}",
                                    Location(file=path.name, entry=code, field="code")))
            indicators[code] = ind
    _check_inputs(indicators, "indicators*.yaml", issues)
    scopes = _parse_scopes(folder / "scopes.yaml", indicators, issues)
    plans: dict[str, Plan] = {}
    targets: dict[str, Target] = {}
    for path in sorted(folder.glob("plan-*.yaml")):
        plan, plan_targets = _parse_plan(path, indicators, issues)
        if plan:
            plans[plan.code] = plan
        for t in plan_targets:
            if t.code in targets:
                issues.append(Issue("catalog.duplicate", f"目标代码重复：{t.code}", f"duplicate target code {t.code}",
                                    Location(file=path.name, entry=t.code, field="code")))
            targets[t.code] = t
    raise_if_errors(issues)
    return Catalog(indicators, plans, targets, scopes)


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    """The packaged catalog, loaded once per process."""
    return load_catalog()

