"""The evaluation method as data (评价方法): pillars, indicators, weights and the choices the audit varies.

A method lives in ``data/method-<year>.yaml``; it is parsed by pydantic (text comes in) into frozen dataclasses
that the engine uses, and every problem is refused with a ``YangfanError`` naming the file, entry and field.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from yangfan.errors import Issue, Location, YangfanError

DATA = Path(__file__).parent / "data"
_FILE = re.compile(r"method-(\d{4})\.yaml")

Normalisation = Literal["minmax", "zscore", "target"]
Aggregation = Literal["arithmetic", "geometric"]
Imputation = Literal["mean", "median", "none"]
NORMALISATIONS: tuple[Normalisation, ...] = ("minmax", "zscore", "target")
AGGREGATIONS: tuple[Aggregation, ...] = ("arithmetic", "geometric")
IMPUTATIONS: tuple[Imputation, ...] = ("mean", "median", "none")
#: Pillar weights must sum to 1 within this tolerance (they are written with a few decimals).
WEIGHT_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Pillar:
    """A pillar (维度) of the index; ``weight`` is its share of the index (pillar weights sum to 1)."""

    code: str
    name_zh: str
    name_en: str
    weight: float


@dataclass(frozen=True, slots=True)
class Indicator:
    """An indicator of the index (评价指标).

    ``weight`` is relative within its pillar (normalised there), ``weight_range`` bounds it in the uncertainty
    analysis, ``direction`` is +1 when higher is better and -1 when lower is, ``target`` feeds distance-to-target
    normalisation, and ``reads`` says which catalog indicators or registry counts the caller derives it from.
    """

    code: str
    name_zh: str
    name_en: str
    pillar: str
    direction: int
    weight: float
    weight_range: tuple[float, float]
    reads: str = ""
    target: float | None = None
    unit_zh: str | None = None
    unit_en: str | None = None

    def __repr__(self) -> str:
        return f"Indicator({self.code!r}, pillar={self.pillar!r}, weight={self.weight})"


@dataclass(frozen=True, slots=True)
class Choices:
    """One way of building the index: the choices the audit varies; ``weights`` overrides the indicator weights
    (relative within pillars, in the method's indicator order)."""

    normalisation: Normalisation = "minmax"
    aggregation: Aggregation = "arithmetic"
    imputation: Imputation = "mean"
    weights: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class Outliers:
    """COIN's outlier rule: winsorise while |skewness| > ``skewness`` and excess kurtosis > ``kurtosis``."""

    skewness: float = 2.0
    kurtosis: float = 3.5
    max_points: int = 5


@dataclass(frozen=True, slots=True)
class UncertaintySettings:
    """The Monte Carlo of the uncertainty analysis: how many runs, the seed and what each run samples."""

    runs: int = 1000
    seed: int = 2025
    weights: bool = True
    normalisation: tuple[Normalisation, ...] = ("minmax", "zscore")
    aggregation: tuple[Aggregation, ...] = ("arithmetic", "geometric")
    imputation: tuple[Imputation, ...] = ("mean", "median")


@dataclass(frozen=True, slots=True)
class Method:
    """A year's evaluation method (扬帆之城评价方法); checked as a whole on construction."""

    version: str
    year: int
    title_zh: str
    title_en: str
    pillars: tuple[Pillar, ...]
    indicators: tuple[Indicator, ...]
    nominal: Choices = field(default_factory=Choices)
    outliers: Outliers = field(default_factory=Outliers)
    uncertainty: UncertaintySettings = field(default_factory=UncertaintySettings)
    published: bool = False

    def __post_init__(self) -> None:
        issues = _check(self)
        if issues:
            raise YangfanError(issues)

    def __repr__(self) -> str:
        return f"Method({self.version!r}, {len(self.pillars)} pillars, {len(self.indicators)} indicators)"

    @property
    def codes(self) -> list[str]:
        """Indicator codes in the method's order: the column order of a ``Table``."""
        return [i.code for i in self.indicators]

    @property
    def pillar_index(self) -> np.ndarray:
        """For each indicator, the position of its pillar in ``pillars``."""
        where = {p.code: k for k, p in enumerate(self.pillars)}
        return np.array([where[i.pillar] for i in self.indicators], dtype=np.intp)

    def pillar_weights(self) -> np.ndarray:
        """Pillar weights, normalised to sum to 1."""
        w = np.array([p.weight for p in self.pillars], dtype=float)
        out: np.ndarray = w / w.sum()
        return out

    def nominal_weights(self, weights: tuple[float, ...] | None = None) -> np.ndarray:
        """Each indicator's share of the index (pillar weight × its weight within the pillar); sums to 1."""
        w = np.array(weights if weights is not None else [i.weight for i in self.indicators], dtype=float)
        pil = self.pillar_index
        within = w / np.bincount(pil, weights=w, minlength=len(self.pillars))[pil]
        out: np.ndarray = within * self.pillar_weights()[pil]
        return out


def _issue(code: str, zh: str, en: str, entry: str | None = None, fld: str | None = None) -> Issue:
    return Issue(f"evaluate.{code}", zh, en, Location(entry=entry, field=fld))


def _check_pillars(m: Method) -> list[Issue]:
    out = []
    if not m.pillars:
        out.append(_issue("pillars", "方法没有维度", "the method has no pillars", fld="pillars"))
    for p in m.pillars:
        if not p.weight > 0:
            out.append(_issue("weight", f"维度权重须为正数：{p.weight}", f"pillar weight must be positive: {p.weight}",
                              p.code, "weight"))
    total = sum(p.weight for p in m.pillars)
    if m.pillars and abs(total - 1) > WEIGHT_SUM_TOLERANCE:
        out.append(_issue("pillar_weights", f"维度权重之和须为 1，实为 {total:g}",
                          f"pillar weights must sum to 1, not {total:g}", fld="pillars"))
    codes = [p.code for p in m.pillars]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        out.append(_issue("duplicate", f"维度代码重复：{code}", f"duplicate pillar code {code}", code, "code"))
    for p in m.pillars:
        if not any(i.pillar == p.code for i in m.indicators):
            out.append(_issue("empty_pillar", f"维度 {p.code} 没有指标", f"pillar {p.code} has no indicators", p.code))
    return out


def _check_indicator(i: Indicator, pillars: set[str]) -> list[Issue]:
    out = []
    if i.pillar not in pillars:
        out.append(_issue("pillar", f"未知的维度：{i.pillar}", f"unknown pillar {i.pillar}", i.code, "pillar"))
    if i.direction not in (1, -1):
        out.append(_issue("direction", f"方向须为 higher 或 lower（+1/-1），实为 {i.direction}",
                          f"direction must be higher or lower (+1/-1), not {i.direction}", i.code, "direction"))
    lo, hi = i.weight_range
    if not i.weight > 0:
        out.append(_issue("weight", f"权重须为正数：{i.weight}", f"weight must be positive: {i.weight}",
                          i.code, "weight"))
    elif not 0 < lo <= i.weight <= hi:
        out.append(_issue("weight_range", f"权重范围须为正且包含权重：[{lo}, {hi}] 与 {i.weight}",
                          f"weight range must be positive and contain the weight: [{lo}, {hi}] and {i.weight}",
                          i.code, "weight_range"))
    if i.target is not None and not i.target > 0:
        out.append(_issue("target", f"目标值须为正数：{i.target}", f"target must be positive: {i.target}",
                          i.code, "target"))
    return out


def _check_choices(m: Method) -> list[Issue]:
    out = []
    n, u = m.nominal, m.uncertainty
    for name, value, allowed in (("normalisation", n.normalisation, NORMALISATIONS),
                                 ("aggregation", n.aggregation, AGGREGATIONS),
                                 ("imputation", n.imputation, IMPUTATIONS)):
        if value not in allowed:
            out.append(_issue("choice", f"{name} 须为 {'/'.join(allowed)} 之一，实为 {value}",
                              f"{name} must be one of {', '.join(allowed)}, not {value}", fld=name))
    for name, values, allowed in (("normalisation", u.normalisation, NORMALISATIONS),
                                  ("aggregation", u.aggregation, AGGREGATIONS),
                                  ("imputation", u.imputation, IMPUTATIONS)):
        if not values or len(set(values)) != len(values) or not set(values) <= set(allowed):
            out.append(_issue("choice", f"不确定性分析的 {name} 须为 {'/'.join(allowed)} 中不重复的若干项",
                              f"uncertainty {name} must list distinct values among {', '.join(allowed)}",
                              "uncertainty", name))
    if u.runs < 1:
        out.append(_issue("runs", "运行次数须至少为 1", "runs must be at least 1", "uncertainty", "runs"))
    o = m.outliers
    if o.max_points < 0 or o.skewness < 0 or o.kurtosis < 0:
        out.append(_issue("outliers", "异常值规则的阈值与点数不能为负",
                          "outlier thresholds and points cannot be negative", "outliers"))
    if n.weights is not None and len(n.weights) != len(m.indicators):
        out.append(_issue("weights", "权重个数须与指标个数相同", "one weight per indicator is needed", fld="weights"))
    return out


def _check(m: Method) -> list[Issue]:
    issues = _check_pillars(m)
    pillars = {p.code for p in m.pillars}
    codes = [i.code for i in m.indicators]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        issues.append(_issue("duplicate", f"指标代码重复：{code}", f"duplicate indicator code {code}", code, "code"))
    for i in m.indicators:
        issues.extend(_check_indicator(i, pillars))
    return issues + _check_choices(m)


# --- parsing: the YAML file, strictly (unknown keys refused) ---


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PillarIn(_Strict):
    code: str
    name_zh: str
    name_en: str
    weight: float


class IndicatorIn(_Strict):
    code: str
    reads: str
    name_zh: str
    name_en: str
    pillar: str
    direction: Literal["higher", "lower"]
    weight: float
    weight_range: tuple[float, float]
    target: float | None = None
    unit_zh: str | None = None
    unit_en: str | None = None


class OutliersIn(_Strict):
    skewness: float = 2.0
    kurtosis: float = 3.5
    max_points: int = 5


class UncertaintyIn(_Strict):
    runs: int = 1000
    seed: int = 2025
    weights: bool = True
    normalisation: list[Normalisation] = ["minmax", "zscore"]
    aggregation: list[Aggregation] = ["arithmetic", "geometric"]
    imputation: list[Imputation] = ["mean", "median"]


class MethodIn(_Strict):
    version: str
    year: int
    title_zh: str
    title_en: str
    published: bool = False
    normalisation: Normalisation = "minmax"
    aggregation: Aggregation = "arithmetic"
    imputation: Imputation = "mean"
    outliers: OutliersIn = OutliersIn()
    uncertainty: UncertaintyIn = UncertaintyIn()
    pillars: list[PillarIn]
    indicators: list[IndicatorIn]


def _pydantic_issues(exc: ValidationError, raw: dict[str, Any]) -> list[Issue]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        entry = None
        if len(loc) >= 2 and loc[0] in ("pillars", "indicators") and isinstance(loc[1], int):
            items = raw.get(str(loc[0])) or []
            item = items[loc[1]] if loc[1] < len(items) else None
            code = item.get("code") if isinstance(item, dict) else None
            entry = f"{loc[0]} {loc[1] + 1}" + (f" ({code})" if code else "")
            loc = loc[2:]
        fld = ".".join(str(p) for p in loc) or "-"
        if err["type"] == "missing":
            zh, en = "缺少必填字段", "required field is missing"
        elif err["type"] == "extra_forbidden":
            zh, en = "未知字段", "unknown field"
        else:
            zh, en = f"字段值无效：{err['msg']}", f"invalid value: {err['msg']}"
        out.append(_issue("field", zh, en, entry, fld))
    return out


def method_from_dict(raw: Any, file: str = "<method>") -> Method:
    """Parse and check a method given as plain data (the YAML document); refuse it naming every problem."""
    if not isinstance(raw, dict):
        raise YangfanError.single("evaluate.file", "方法文件须为映射", "a method file must be a mapping",
                                  Location(file=file))
    try:
        m = MethodIn.model_validate(raw)
        u = m.uncertainty
        return Method(
            m.version, m.year, m.title_zh, m.title_en,
            pillars=tuple(Pillar(**p.model_dump()) for p in m.pillars),
            indicators=tuple(Indicator(**{**i.model_dump(), "direction": 1 if i.direction == "higher" else -1})
                             for i in m.indicators),
            nominal=Choices(m.normalisation, m.aggregation, m.imputation),
            outliers=Outliers(**m.outliers.model_dump()),
            uncertainty=UncertaintySettings(u.runs, u.seed, u.weights, tuple(u.normalisation), tuple(u.aggregation),
                                            tuple(u.imputation)),
            published=m.published,
        )
    except ValidationError as exc:
        issues = _pydantic_issues(exc, raw)
    except YangfanError as exc:
        issues = list(exc.issues)
    raise YangfanError(dataclasses.replace(i, location=dataclasses.replace(i.location, file=file)) for i in issues)


def read_method(path: Path) -> Method:
    """Read and check one method file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise YangfanError.single("evaluate.yaml", f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}",
                                  Location(file=path.name)) from None
    method = method_from_dict(raw, path.name)
    year = _FILE.fullmatch(path.name)
    if year and int(year.group(1)) != method.year:
        raise YangfanError.single("evaluate.year", f"文件名的年份与 year 字段 {method.year} 不符",
                                  f"the file name's year differs from the year field {method.year}",
                                  Location(file=path.name, field="year"))
    return method


def methods() -> list[int]:
    """The years that have a method file, oldest first."""
    return sorted(int(m.group(1)) for p in DATA.glob("method-*.yaml") if (m := _FILE.fullmatch(p.name)))


@lru_cache(maxsize=8)
def load_method(year: int | None = None) -> Method:
    """The method of ``year`` (the latest one when None), read from ``data/method-<year>.yaml``."""
    years = methods()
    if year is None and years:
        year = years[-1]
    if year not in years:
        raise YangfanError.single("evaluate.no_method", f"没有 {year} 年的评价方法（已有：{years}）",
                                  f"no evaluation method for {year} (available: {years})", Location(field="year"))
    return read_method(DATA / f"method-{year}.yaml")
