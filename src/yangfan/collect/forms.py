"""Report forms (报表, DHIS2's data sets) as data: what each reporting unit returns, for which periods, by when.

A form lists indicators, a period type, the reporting units it is assigned to (provinces' communications
administrations, operators per province, departments) and a schedule. Its returns (form × org unit ×
reporting unit × period) are the obligations a reporter sees; ``collect/data/forms.yaml`` defines them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yangfan.catalog import Catalog, Indicator
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import NATION, OrgUnitTree
from yangfan.geo.periods import Period, PeriodType, parse_period

DATA = Path(__file__).parent / "data"
OPERATOR_PREFIX = "operator="


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ScheduleIn(_Strict):
    opens_day: int = Field(1, ge=1, le=28)
    deadline_day: int = Field(ge=1, le=31)
    months_after: int = Field(ge=0, le=12)
    reminder_days: list[int] = Field(default_factory=list)


class _AssignedIn(_Strict):
    places: Literal["province"] | None = None
    operators: list[str] = Field(default_factory=list)
    units: list[str] = Field(default_factory=list)


class _FormIn(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$")
    name_zh: str
    name_en: str
    description_zh: str = ""
    description_en: str = ""
    period_type: PeriodType
    first_period: str
    assigned: _AssignedIn
    schedule: _ScheduleIn
    items: list[str] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a return opens and is due: days of the months after the period's end."""

    opens_day: int
    deadline_day: int
    months_after: int
    reminder_days: tuple[int, ...] = ()

    def _day(self, period: Period, months: int, day: int) -> date:
        end = period.end_month
        year, month = divmod(end.year * 12 + end.index - 1 + months, 12)
        month += 1
        return date(year, month, min(day, calendar.monthrange(year, month)[1]))

    def opens(self, period: Period) -> date:
        """The first day a return can be filled: ``opens_day`` of the month after the period."""
        return self._day(period, 1, self.opens_day)

    def deadline(self, period: Period) -> date:
        """The last day a return is on time (inclusive)."""
        return self._day(period, self.months_after, self.deadline_day)

    def reminding(self, period: Period, today: date) -> bool:
        """True within the reminder window before the deadline."""
        left = (self.deadline(period) - today).days
        return any(0 <= left <= d for d in self.reminder_days)


@dataclass(frozen=True, slots=True)
class Return:
    """Who returns a form for what: the org unit the figures are of, and the reporting unit when it is
    another (an operator reporting for a province)."""

    org_unit: str
    reporter: str = ""

    @property
    def disaggregation(self) -> str:
        """The disaggregation the figures are stored under: the operator's, or the total."""
        return f"{OPERATOR_PREFIX}{self.reporter}" if self.reporter and not self.reporter_is_unit else ""

    @property
    def reporter_is_unit(self) -> bool:
        """A department reports national figures as the nation's own ('' disaggregation)."""
        return self.org_unit == NATION


@dataclass(frozen=True, slots=True)
class Form:
    """A report form (报表)."""

    code: str
    name_zh: str
    name_en: str
    period_type: PeriodType
    first_period: Period
    items: tuple[Indicator, ...]
    schedule: Schedule
    places: Literal["province"] | None = None
    operators: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    description_zh: str = ""
    description_en: str = ""

    def __repr__(self) -> str:
        return f"Form({self.code!r}, {self.period_type}, {len(self.items)} items)"

    def returns(self, tree: OrgUnitTree) -> list[Return]:
        """Every (org unit, reporting unit) this form is assigned to."""
        out: list[Return] = []
        if self.places == "province":
            provinces = sorted(tree.children.get(NATION, []))
            out += [Return(p, op) for p in provinces for op in self.operators] or [Return(p) for p in provinces]
        out += [Return(NATION, u) for u in self.units]
        return out

    def assigned_to(self, org_unit: str, reporter: str, tree: OrgUnitTree) -> bool:
        """True when this form is owed by this org unit and reporting unit."""
        return Return(org_unit, reporter) in self.returns(tree)

    def periods(self, today: date) -> list[Period]:
        """The periods whose returns have opened by ``today``, oldest first."""
        out, p = [], self.first_period
        while self.schedule.opens(p) <= today:
            out.append(p)
            p = p.shift(1)
        return out

    def stored_period(self, item: Indicator, period: Period) -> Period:
        """The period an item's figure is stored for: a finer indicator's as at the period's last month."""
        if item.period_type == period.type:
            return period
        if item.period_type == "month":
            return period.end_month
        return Period(period.year, "quarter", (period.last_month + 2) // 3)

    @property
    def indicator_codes(self) -> tuple[str, ...]:
        """The items' indicator codes, in form order."""
        return tuple(i.code for i in self.items)

    def as_dict(self, tree: OrgUnitTree) -> dict[str, object]:
        """The form as ``yangfan form list --format json`` prints it."""
        units: list[str] = (["province"] if self.places else []) + list(self.units)
        return {"code": self.code, "name_zh": self.name_zh, "name_en": self.name_en,
                "period_type": self.period_type, "first_period": str(self.first_period),
                "indicators": list(self.indicator_codes), "units": units, "operators": list(self.operators),
                "returns_per_period": len(self.returns(tree)),
                "deadline": {"day": self.schedule.deadline_day, "months_after": self.schedule.months_after},
                "reminder_days": list(self.schedule.reminder_days),
                "description_zh": self.description_zh, "description_en": self.description_en}


def _issue(code: str, zh: str, en: str, entry: str, fld: str) -> Issue:
    return Issue(code, zh, en, Location(file="forms.yaml", entry=entry, field=fld))


def _form(m: _FormIn, catalog: Catalog, tree: OrgUnitTree, issues: list[Issue]) -> Form | None:
    before = len(issues)
    items: list[Indicator] = []
    order = {"month": 1, "quarter": 2, "year": 3}
    for code in m.items:
        ind = catalog.indicators.get(code)
        if ind is None or ind.kind != "raw":
            issues.append(_issue("form.item", f"表单 {m.code} 的项目 {code} 不是目录中的原始指标",
                                 f"item {code} of form {m.code} is not a raw indicator of the catalog",
                                 m.code, "items"))
        elif order[ind.period_type] > order[m.period_type]:
            issues.append(_issue("form.item_period", f"{code} 按{ind.period_type}报送，不能列入{m.period_type}报表",
                                 f"{code} is reported per {ind.period_type}: it cannot be on a {m.period_type} form",
                                 m.code, "items"))
        else:
            items.append(ind)
    for code in [*m.assigned.operators, *m.assigned.units]:
        if code not in tree.units:
            issues.append(_issue("form.unit", f"表单 {m.code} 指派给未知的报送单位 {code}",
                                 f"form {m.code} is assigned to unknown reporting unit {code}", m.code, "assigned"))
    first = parse_period(m.first_period)
    if first.type != m.period_type:
        issues.append(_issue("form.first_period", f"起始期间 {first} 不是{m.period_type}",
                             f"first period {first} is not a {m.period_type}", m.code, "first_period"))
    if len(issues) > before:
        return None
    return Form(m.code, m.name_zh, m.name_en, m.period_type, first, tuple(items),
                Schedule(m.schedule.opens_day, m.schedule.deadline_day, m.schedule.months_after,
                         tuple(m.schedule.reminder_days)),
                m.assigned.places, tuple(m.assigned.operators), tuple(m.assigned.units),
                m.description_zh, m.description_en)


def load_forms(catalog: Catalog, tree: OrgUnitTree, path: Path = DATA / "forms.yaml") -> dict[str, Form]:
    """The forms of ``path``, checked against the catalog and the org units; raise on any problem."""
    issues: list[Issue] = []
    out: dict[str, Form] = {}
    for i, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
        try:
            m = _FormIn.model_validate(raw)
        except ValidationError as exc:
            issues += [_issue("form.schema", f"第 {i + 1} 个表单：{e['msg']}", f"form {i + 1}: {e['msg']}",
                              str(i + 1), ".".join(map(str, e["loc"]))) for e in exc.errors()]
            continue
        form = _form(m, catalog, tree, issues)
        if form is not None:
            if form.code in out:
                issues.append(_issue("form.duplicate", f"表单代码重复：{form.code}", f"duplicate form {form.code}",
                                     form.code, "code"))
            out[form.code] = form
    if issues:
        raise YangfanError(issues)
    return out


_LOADED: dict[tuple[int, int], dict[str, Form]] = {}


def get_forms(catalog: Catalog, tree: OrgUnitTree) -> dict[str, Form]:
    """The packaged forms, loaded once per catalog and tree."""
    key = (id(catalog), id(tree))
    if key not in _LOADED:
        _LOADED[key] = load_forms(catalog, tree)
    return _LOADED[key]


def form_or_error(forms: dict[str, Form], code: str) -> Form:
    """A form by code, or a clear error listing the forms."""
    form = forms.get(code)
    if form is None:
        raise YangfanError.single("form.unknown", f"未知表单“{code}”，可选：{'、'.join(forms)}",
                                  f"unknown form '{code}'; forms: {', '.join(forms)}")
    return form


def each_return(forms: dict[str, Form], tree: OrgUnitTree, today: date) -> Iterator[tuple[Form, Return, Period]]:
    """Every return opened by ``today``: form × (org unit, reporting unit) × period."""
    for form in forms.values():
        returns = form.returns(tree)
        for period in form.periods(today):
            for r in returns:
                yield form, r, period

