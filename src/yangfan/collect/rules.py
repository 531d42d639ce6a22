"""Validation rules (审核公式) as data: hard rules block a return, soft rules need a written explanation.

Every return, upload and import is checked against the figures it brings and the figures the store already
holds (the month before, the same month a year before, the operators' and the cities' figures beside a
total). A problem names the rule, the figure (indicator × org unit × period × disaggregation) and the cell it
came from, in Chinese and English. ``collect/data/rules.yaml`` sets the rules and their thresholds.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from yangfan.catalog import Catalog, Indicator
from yangfan.collect.forms import OPERATOR_PREFIX
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period
from yangfan.geo.periods import parse_period as _parse
from yangfan.store.values import NewValue

DATA = Path(__file__).parent / "data"
Severity = Literal["hard", "soft"]
#: indicator × org unit × period × disaggregation.
Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Rules:
    """The rules of ``rules.yaml``."""

    non_negative: bool = True
    percent_range: tuple[float, float] | None = (0.0, 100.0)
    parts: tuple[tuple[str, str], ...] = ()
    operators_sum: bool = True
    children_sum: bool = True
    no_future_period: bool = True
    #: Relative tolerance of sums and parts (figures entered in 万 are rounded), besides half a base unit.
    sum_tolerance: float = 0.001
    month_change: float | None = 0.3
    year_change: float | None = 1.0
    outlier_z: float | None = 3.5
    outlier_min: int = 6
    outlier_min_change: float = 0.05
    #: Units of things counted one by one: a figure in them is a whole number.
    whole_units: tuple[str, ...] = ()


def load_rules(path: Path = DATA / "rules.yaml") -> Rules:
    """The validation rules and their thresholds."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    hard, soft = doc["hard"], doc["soft"]
    low, high = hard.get("percent_range") or (None, None)
    percent_range = (float(low), float(high)) if low is not None and high is not None else None
    return Rules(bool(hard.get("non_negative")), percent_range,
                 tuple((p["part"], p["whole"]) for p in hard.get("parts", [])), bool(hard.get("operators_sum")),
                 bool(hard.get("children_sum")), bool(hard.get("no_future_period")),
                 float(hard.get("sum_tolerance", 0.001)), soft.get("month_change"), soft.get("year_change"),
                 soft.get("outlier_z"), int(soft.get("outlier_min", 6)), float(soft.get("outlier_min_change", 0.05)),
                 tuple(hard.get("whole_units", ())))


@dataclass(frozen=True, slots=True)
class Entry:
    """A figure to check: the value, where it stood (sheet, row, column) and the reporter's explanation."""

    value: NewValue
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    explanation: str = ""

    @property
    def key(self) -> Key:
        """indicator × org unit × period × disaggregation."""
        return self.value.key


@dataclass(frozen=True, slots=True)
class Problem:
    """A rule a figure breaks: hard (blocks) or soft (needs an explanation)."""

    rule: str
    severity: Severity
    indicator: str
    org_unit: str
    period: str
    disaggregation: str
    message_zh: str
    message_en: str
    value: float | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    explained: bool = False
    form: str | None = None

    @property
    def blocking(self) -> bool:
        """A hard problem, or a soft one nobody explained."""
        return self.severity == "hard" or not self.explained

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, as ``yangfan validate --format json`` and the API print it."""
        return {"rule": self.rule, "severity": self.severity, "indicator": self.indicator, "org_unit": self.org_unit,
                "period": self.period, "disaggregation": self.disaggregation, "value": self.value,
                "form": self.form, "file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "explained": self.explained, "message_zh": self.message_zh, "message_en": self.message_en}


@dataclass(frozen=True, slots=True)
class Validation:
    """Every problem of a batch."""

    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing blocks: no hard problem, every soft one explained."""
        return not any(p.blocking for p in self.problems)

    @property
    def hard(self) -> list[Problem]:
        """The problems no explanation lifts."""
        return [p for p in self.problems if p.severity == "hard"]

    @property
    def unexplained(self) -> list[Problem]:
        """Soft problems that still need an explanation."""
        return [p for p in self.problems if p.severity == "soft" and not p.explained]


@dataclass
class _Checker:
    catalog: Catalog
    tree: OrgUnitTree
    rules: Rules
    today: date
    figures: dict[Key, float]
    entries: dict[Key, Entry]
    problems: list[Problem] = field(default_factory=list)
    #: Each figure's change from the period before, computed once (later months and peers compare with it).
    growths: dict[Key, float | None] = field(default_factory=dict)
    operator_codes: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.operator_codes = [u.code for u in self.tree.units.values() if u.kind == "operator"]

    def flag(self, e: Entry, rule: str, severity: Severity, zh: str, en: str) -> None:
        v = e.value
        self.problems.append(Problem(rule, severity, v.indicator, v.org_unit, v.period, v.disaggregation, zh, en,
                                     v.value, e.file, e.sheet, e.row, e.column,
                                     severity == "soft" and bool(e.explanation.strip())))

    def shown(self, ind: Indicator, value: float) -> str:
        if abs(value) < ind.display_divisor:  # below one 万: in the base unit, not as -0.0万个
            return f"{value:,.{ind.decimals if ind.display_divisor == 1 else 0}f}{ind.unit}"
        shown = value / ind.display_divisor
        return f"{shown:,.{max(ind.decimals, 1) if ind.display_divisor > 1 else ind.decimals}f}{ind.display_unit}"

    def label(self, e: Entry) -> tuple[str, str]:
        """The figure named in both languages (built once, for the few figures that have problems)."""
        v, ind = e.value, self.catalog.indicators[e.value.indicator]
        d = v.disaggregation
        op = d[len(OPERATOR_PREFIX):] if d.startswith(OPERATOR_PREFIX) else None
        zh_who = f"（{self.tree.get(op).name_zh if op in self.tree else op}）" if op else f"（{d}）" if d else ""
        en_who = f" ({self.tree.get(op).name_en if op in self.tree else op})" if op else f" ({d})" if d else ""
        return (f"{self.tree.get(v.org_unit).name_zh} {v.period} {ind.name_zh}{zh_who}",
                f"{ind.name_en} of {self.tree.get(v.org_unit).name_en or v.org_unit}, {v.period}{en_who}")

    def tolerance(self, whole: float) -> float:
        return 0.5 + self.rules.sum_tolerance * abs(whole)

    def run(self) -> list[Problem]:
        for e in self.entries.values():
            ind = self.catalog.indicators[e.value.indicator]
            before = len(self.problems)
            self.ranges(e, ind)
            out_of_range = len(self.problems) > before  # a negative or impossible figure: its change says nothing
            self.parts(e)
            if ind.org_aggregation == "sum":
                self.operators(e, ind)
                self.children(e, ind)
            if not out_of_range:
                self.changes(e, ind)
        return self.problems

    def ranges(self, e: Entry, ind: Indicator) -> None:
        zh, en = _Lazy(self, e), _Lazy(self, e, 1)
        v = e.value.value
        if self.rules.non_negative and v < 0:
            self.flag(e, "non_negative", "hard", f"{zh}为负数（{v:g}）：数值不能小于 0",
                      f"{en} is negative ({v:g}): figures cannot be below 0")
        if ind.unit in self.rules.whole_units and v != round(v):
            self.flag(e, "whole_number", "hard",
                      f"{zh}为 {v:g}{ind.unit}：按“{ind.unit}”计数须为整数（万个、亿户等请写在单位列）",
                      f"{en} is {v:g} {ind.unit}: a count must be a whole number (put 万/亿 in the unit column)")
        rng = self.rules.percent_range
        if rng and ind.unit == "%" and not rng[0] <= v <= rng[1]:
            self.flag(e, "percent_range", "hard",
                      f"{zh}为 {v:g}%，占比应在 {rng[0]:g}–{rng[1]:g} 之间（请填百分数，如 56.1）",
                      f"{en} is {v:g}%: a share lies within {rng[0]:g}–{rng[1]:g} (enter per cent, e.g. 56.1)")
        period = parse_period(e.value.period)
        current = Period(self.today.year, "month", self.today.month)
        if self.rules.no_future_period and period.end_month > current:
            self.flag(e, "no_future_period", "hard", f"{zh}：期间 {period} 晚于当前月份 {current}，尚不能报送",
                      f"{en}: period {period} is after the current month {current} and cannot be reported yet")

    def parts(self, e: Entry) -> None:
        i, o, p, d = e.key
        for part, whole in self.rules.parts:
            if i not in (part, whole):
                continue
            pv, wv = self.figures.get((part, o, p, d)), self.figures.get((whole, o, p, d))
            # Reported once, on the part when both are in the batch.
            if pv is None or wv is None or (i == whole and (part, o, p, d) in self.entries):
                continue
            pi, wi = self.catalog.indicators[part], self.catalog.indicators[whole]
            if pv > wv + self.tolerance(wv):
                zh, en = self.label(e)
                self.flag(e, "part_le_whole", "hard",
                          f"{zh}：{pi.name_zh}（{self.shown(pi, pv)}）大于{wi.name_zh}（{self.shown(wi, wv)}）",
                          f"{en}: {pi.name_en} ({pv:g}) exceeds {wi.name_en} ({wv:g})")

    def operators(self, e: Entry, ind: Indicator) -> None:
        i, o, p, d = e.key
        ops = self.operator_codes
        parts = [self.figures.get((i, o, p, OPERATOR_PREFIX + op)) for op in ops]
        total = self.figures.get((i, o, p, ""))
        if not (d == "" or d.startswith(OPERATOR_PREFIX)) or total is None or None in parts:
            return
        mine = (i, o, p, "") in self.entries and d == ""
        if d == "" and not mine:
            return
        first = next((OPERATOR_PREFIX + op for op in ops if (i, o, p, OPERATOR_PREFIX + op) in self.entries), None)
        if d.startswith(OPERATOR_PREFIX) and d != first:
            return  # reported once per total: on the first operator of the batch
        s = sum(x for x in parts if x is not None)
        if abs(s - total) > self.tolerance(total):
            zh, en = self.label(e)
            self.flag(e, "operators_sum", "hard",
                      f"{zh}：各运营商之和（{self.shown(ind, s)}）不等于合计（{self.shown(ind, total)}）",
                      f"{en}: the operators' figures add up to {s:g}, not to the total {total:g}")

    def children(self, e: Entry, ind: Indicator) -> None:
        i, o, p, d = e.key
        kids = self.tree.children.get(o, [])
        if not kids or (i, o, p, d) not in self.entries:
            return
        values = [self.figures.get((i, k, p, d)) for k in kids]
        if None in values:
            return
        s = sum(v for v in values if v is not None)
        total = self.figures[(i, o, p, d)]
        if abs(s - total) > self.tolerance(total):
            zh, en = self.label(e)
            self.flag(e, "children_sum", "hard",
                      f"{zh}（{self.shown(ind, total)}）不等于所辖{len(kids)}个地区之和（{self.shown(ind, s)}）",
                      f"{en} ({total:g}) is not the sum of its {len(kids)} units ({s:g})")

    def before(self, key: Key, steps: int) -> float | None:
        i, o, p, d = key
        return self.figures.get((i, o, shifted(p, -steps), d))

    def changes(self, e: Entry, ind: Indicator) -> None:
        v, period = e.value.value, parse_period(e.value.period)
        zh, en = _Lazy(self, e), _Lazy(self, e, 1)
        stock = ind.time_aggregation == "stock" and ind.unit != "%"
        prev = self.before(e.key, 1) if stock and period.type == "month" else None
        if self.rules.month_change is not None and prev and abs(v / prev - 1) > self.rules.month_change:
            self.flag(e, "month_change", "soft",
                      f"{zh}（{self.shown(ind, v)}）较上月（{self.shown(ind, prev)}）变化 {v / prev - 1:+.0%}，"
                      f"超过 ±{self.rules.month_change:.0%}：请核实并说明原因",
                      f"{en} ({v:g}) changed {v / prev - 1:+.0%} from the month before ({prev:g}), beyond "
                      f"±{self.rules.month_change:.0%}: check it and explain why")
        year = {"month": 12, "quarter": 4, "year": 1}[period.type]
        last = self.before(e.key, year)
        if (self.rules.year_change is not None and last and ind.unit != "%"
                and abs(v / last - 1) > self.rules.year_change):
            self.flag(e, "year_change", "soft",
                      f"{zh}（{self.shown(ind, v)}）较上年同期（{self.shown(ind, last)}）变化 {v / last - 1:+.0%}，"
                      f"超过 ±{self.rules.year_change:.0%}：请核实并说明原因",
                      f"{en} ({v:g}) changed {v / last - 1:+.0%} from a year before ({last:g}), beyond "
                      f"±{self.rules.year_change:.0%}: check it and explain why")
        if stock:
            self.outlier(e, ind)

    def growth(self, key: Key) -> float | None:
        """A figure's change from the period before (each computed once: the months after it and its peers
        compare with it again)."""
        if key not in self.growths:
            now, before = self.figures.get(key), self.before(key, 1)
            self.growths[key] = now / before - 1 if now is not None and before else None
        return self.growths[key]

    def outlier(self, e: Entry, ind: Indicator) -> None:
        if self.rules.outlier_z is None:
            return
        i, o, p, d = e.key
        g = self.growth(e.key)
        if g is None:
            return
        own = [x for x in (self.growth((i, o, shifted(p, -k), d)) for k in range(1, 13))
               if x is not None]
        parent = self.tree.units[o].parent if o in self.tree.units else None
        peers = [x for x in (self.growth((i, s, p, d)) for s in self.tree.children.get(parent or "", []) if s != o)
                 if x is not None]
        for against, zh_what, en_what in ((own, "本单位过去各期", "the unit's own history"),
                                          (peers, "同级地区同期", "its peers in the same period")):
            z = modified_z(g, against, self.rules.outlier_min)
            far = len(against) > 0 and abs(g - statistics.median(against)) >= self.rules.outlier_min_change
            if z is not None and far and abs(z) > self.rules.outlier_z:
                zh, en = self.label(e)
                self.flag(e, "outlier", "soft",
                          f"{zh}的环比变化 {g:+.1%} 与{zh_what}相比异常"
                          f"（修正 z 值 {z:.1f}，阈值 {self.rules.outlier_z:g}）："
                          "请核实并说明原因",
                          f"{en}: its change of {g:+.1%} is an outlier against {en_what} (modified z-score "
                          f"{z:.1f}, threshold {self.rules.outlier_z:g}): check it and explain why")
                return


@lru_cache(maxsize=65536)
def parse_period(code: str) -> Period:
    """A period from its code, parsed once: the rules look the same few periods up millions of times."""
    return _parse(code)


@lru_cache(maxsize=262144)
def shifted(code: str, steps: int) -> str:
    """The code of the period ``steps`` periods of its own type away."""
    return str(parse_period(code).shift(steps))


class _Lazy:
    """A figure's name in one language, built only when a message is written with it."""

    def __init__(self, checker: _Checker, e: Entry, lang: int = 0) -> None:
        self.checker, self.e, self.lang = checker, e, lang

    def __format__(self, spec: str) -> str:
        return format(self.checker.label(self.e)[self.lang], spec)

    def __str__(self) -> str:
        return self.checker.label(self.e)[self.lang]


def modified_z(x: float, sample: Sequence[float], minimum: int) -> float | None:
    """Iglewicz and Hoaglin's modified z-score of ``x`` against ``sample`` (median and median absolute
    deviation): None for fewer than ``minimum`` values or no spread."""
    if len(sample) < minimum:
        return None
    med = statistics.median(sample)
    mad = statistics.median(abs(s - med) for s in sample)
    return 0.6745 * (x - med) / mad if mad > 0 else None


def validate(entries: Iterable[Entry], known: Mapping[Key, float], catalog: Catalog, tree: OrgUnitTree,
             rules: Rules | None = None, today: date | None = None, form: str | None = None) -> Validation:
    """Check ``entries`` against the rules, with ``known`` (the store's figures) around them; the entries' own
    figures stand over the known ones."""
    batch = {e.key: e for e in entries}
    figures = dict(known)
    figures.update({k: e.value.value for k, e in batch.items()})
    checker = _Checker(catalog, tree, rules or load_rules(), today or date.today(), figures, batch)
    problems = checker.run()
    if form is not None:
        problems = [replace(p, form=form) for p in problems]
    order = {"hard": 0, "soft": 1}
    return Validation(tuple(sorted(problems, key=lambda p: (order[p.severity], p.row or 0, p.indicator))))


def neighbours(keys: Iterable[Key], tree: OrgUnitTree) -> tuple[set[str], set[str], set[str]]:
    """The indicators, org units and periods whose stored figures the rules may compare ``keys`` with."""
    indicators: set[str] = set()
    units: set[str] = set()
    periods: set[str] = set()
    for i, o, p, _d in keys:
        indicators.add(i)
        units.add(o)
        units.update(tree.children.get(o, []))
        parent = tree.units[o].parent if o in tree.units else None
        if parent:
            units.update(tree.children.get(parent, []))
        period = parse_period(p)
        year = {"month": 12, "quarter": 4, "year": 1}[period.type]
        periods.update(str(period.shift(-k)) for k in range(0, 14 if year == 12 else year + 2))
    return indicators, units, periods
