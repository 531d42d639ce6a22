"""Validate incoming rows of data values: every problem named by file, row and field, in zh and en."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from yangfan.catalog import Catalog, Indicator
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period, parse_period
from yangfan.store.values import QUALIFIERS, NewValue

REQUIRED = ("indicator", "org_unit", "period", "value")
PREFIXES = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}


def unit_factor(given: str, base: str) -> Decimal | None:
    """Multiplier from a published unit (万个, 亿户) to the indicator's base unit (个, 户); None if unrelated."""
    if given in ("", base):
        return Decimal(1)
    for prefix, factor in PREFIXES.items():
        if prefix and given == prefix + base:
            return factor
    return None


class _RowChecker:
    """Checks one row at a time and collects issues."""

    def __init__(self, catalog: Catalog, tree: OrgUnitTree, file: str) -> None:
        self.catalog, self.tree, self.file = catalog, tree, file
        self.issues: list[Issue] = []

    def problem(self, row: int, fld: str, code: str, zh: str, en: str) -> None:
        self.issues.append(Issue(code, zh, en, Location(file=self.file, row=row, field=fld)))

    def check(self, n: int, raw: Mapping[str, str | None]) -> NewValue | None:
        """The row as a data value, or None after recording its problems."""
        get = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        missing = [f for f in REQUIRED if not get.get(f)]
        for f in missing:
            self.problem(n, f, "row.missing", "缺少必填字段", "required field is empty")
        if missing:
            return None
        ind, period = self._key(n, get)
        qualifier = get.get("qualifier") or "exact"
        if qualifier not in QUALIFIERS:
            self.problem(n, "qualifier", "row.qualifier", f"限定词“{qualifier}”无效，应为 {'/'.join(QUALIFIERS)}",
                         f"qualifier '{qualifier}' is not one of {', '.join(QUALIFIERS)}")
        value = self._number(n, get["value"])
        factor = self._factor(n, get.get("unit", ""), ind.unit if ind else None)
        if ind is None or period is None or value is None or factor is None or qualifier not in QUALIFIERS:
            return None
        scope = self._scope(n, ind, period, get.get("scope", ""), get.get("disaggregation", ""))
        if scope is None:
            return None
        return NewValue(
            indicator=ind.code, org_unit=get["org_unit"], period=str(period), value=float(value * factor),
            disaggregation=get.get("disaggregation", ""), qualifier=qualifier,
            scope=scope, priority=int(get.get("priority") or 0),
            source_url=get.get("source_url") or None, source_row=n, note=get.get("note", ""))

    def _key(self, n: int, get: dict[str, str]) -> tuple[Indicator | None, Period | None]:
        """Indicator, org unit and period of a row, each checked and checked against the others."""
        ind = self._indicator(n, get["indicator"])
        known_unit = get["org_unit"] in self.tree
        if not known_unit:
            self.problem(n, "org_unit", "row.org_unit", f"未知的组织单元代码“{get['org_unit']}”",
                         f"unknown org unit code '{get['org_unit']}'")
        try:
            period: Period | None = parse_period(get["period"])
        except YangfanError as exc:
            i = exc.issues[0]
            self.problem(n, "period", i.code, i.message_zh, i.message_en)
            return ind, None
        assert period is not None
        if known_unit and not self.tree.get(get["org_unit"]).valid_on(period.end_month.start):
            self.problem(n, "org_unit", "row.org_unit_validity",
                         f"组织单元 {get['org_unit']} 在 {period} 不存在（已撤销或尚未设立）",
                         f"org unit {get['org_unit']} did not exist in {period} (abolished or not yet created)")
            return ind, None
        if ind is not None and period.type != ind.period_type:
            self.problem(n, "period", "row.period_type", f"{ind.code} 按{ind.period_type}报送，不能使用期间 {period}",
                         f"{ind.code} is reported per {ind.period_type}, not for period {period}")
            return ind, None
        return ind, period if known_unit else None

    def _scope(self, n: int, ind: Indicator, period: Period, given: str, disaggregation: str) -> str | None:
        """The figure's coverage: the catalog's for its period; a restatement on a later coverage says so in
        its disaggregation (``scope=basic_4``) and is kept beside the figure as published, never instead of it."""
        restated = disaggregation.removeprefix("scope=") if disaggregation.startswith("scope=") else None
        expected = restated if restated in {e.code for e in ind.scopes} else ind.scope_at(period)
        if not ind.scopes and (given or restated):
            self.problem(n, "scope", "row.scope_none", f"{ind.code} 的口径未变化过，不能标注口径“{given or restated}”",
                         f"{ind.code} has one coverage throughout: scope '{given or restated}' does not apply")
            return None
        if restated is not None and restated != expected:
            self.problem(n, "disaggregation", "row.scope_restated", f"{ind.code} 没有口径“{restated}”",
                         f"{ind.code} has no coverage '{restated}'")
            return None
        if given and given != expected:
            self.problem(n, "scope", "row.scope", f"{ind.code} 在 {period} 的口径为“{expected}”，不是“{given}”"
                         "（调整后口径的重述数请在分组列写 scope=口径）",
                         f"{ind.code} covers '{expected}' in {period}, not '{given}' (a restatement on a later "
                         "coverage goes in the disaggregation column as scope=<code>)")
            return None
        return expected

    def _indicator(self, n: int, code: str) -> Indicator | None:
        ind = self.catalog.indicators.get(code)
        if ind is None:
            self.problem(n, "indicator", "row.indicator", f"未知指标“{code}”", f"unknown indicator '{code}'")
        elif ind.kind == "derived":
            self.problem(n, "indicator", "row.derived", f"{ind.code} 是派生指标，由分子分母计算，不能直接报送",
                         f"{ind.code} is derived from its numerator and denominator and cannot be reported")
            return None
        return ind

    def _number(self, n: int, text: str) -> Decimal | None:
        try:
            value = Decimal(text.replace(",", ""))
        except InvalidOperation:
            value = None
        if value is None or not math.isfinite(value):
            self.problem(n, "value", "row.value", f"数值“{text}”不是有效数字", f"value '{text}' is not a number")
            return None
        return value

    def _factor(self, n: int, unit: str, base: str | None) -> Decimal | None:
        if base is None:
            return None
        factor = unit_factor(unit, base)
        if factor is None:
            self.problem(n, "unit", "row.unit", f"单位“{unit}”与指标单位“{base}”不相容",
                         f"unit '{unit}' does not convert to the indicator's unit '{base}'")
        return factor


def validate_rows(rows: Iterable[Mapping[str, str | None]], catalog: Catalog, tree: OrgUnitTree, file: str,
                  first_row: int = 2, source_kind: str = "import", source_title: str = "") -> list[NewValue]:
    """Turn raw rows into data values, or raise one error listing every problem.

    ``first_row`` is the file's row number of the first data row (2 under a CSV header).
    Two rows with the same indicator × org unit × period × disaggregation from the same source
    are a duplicate.
    """
    checker = _RowChecker(catalog, tree, file)
    out: list[NewValue] = []
    seen: dict[tuple[object, ...], int] = {}
    for n, raw in enumerate(rows, start=first_row):
        v = checker.check(n, raw)
        if v is None:
            continue
        v = replace(v, source_kind=source_kind, source_title=source_title)
        dup = seen.get((*v.key, v.source_key))
        if dup is not None:
            checker.problem(n, "period", "row.duplicate", f"与第 {dup} 行重复（同一指标、单元、期间、分组和来源）",
                            f"duplicates row {dup} (same indicator, org unit, period, disaggregation and source)")
            continue
        seen[(*v.key, v.source_key)] = n
        out.append(v)
    if checker.issues:
        raise YangfanError(checker.issues)
    return out

