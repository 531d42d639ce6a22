"""Queries over the analytics table: the one function every face (CLI, API, pages) calls for figures."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from yangfan.analytics.timerules import AnnualLookup, Rule, rule_for
from yangfan.catalog import Catalog, Indicator
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period, parse_period


@dataclass(frozen=True, slots=True)
class Query:
    """What to compute: indicators × org units × periods, for one disaggregation ('' is the total)."""

    indicators: tuple[str, ...]
    org_units: tuple[str, ...]
    periods: tuple[Period, ...]
    disaggregation: str = ""
    #: Sums over only some of a unit's parts are not totals: left out unless asked for.
    allow_incomplete: bool = False

    @classmethod
    def parse(cls, indicators: Iterable[str], org_units: Iterable[str], periods: Iterable[str],
              disaggregation: str = "") -> Query:
        """Build a query from text, as the CLI and API receive it."""
        return cls(tuple(indicators), tuple(org_units), tuple(parse_period(p) for p in periods), disaggregation)


@dataclass(frozen=True, slots=True)
class Cell:
    """One stored or summed value that a figure was computed from."""

    indicator: str
    org_unit: str
    period: str
    value: float
    origin: str
    lower_bound: bool
    approx: bool
    incomplete: bool
    scope: str
    value_id: int | None
    source_url: str | None


@dataclass(frozen=True, slots=True)
class Figure:
    """A computed figure with what it was computed from."""

    indicator: Indicator
    org_unit: str
    period: Period
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    lower_bound: bool = False
    approx: bool = False
    incomplete: bool = False
    inputs: tuple[Cell, ...] = field(default_factory=tuple)

    @property
    def scope(self) -> str:
        """Coverage of the inputs (e.g. basic_3 / basic_4), '' when none applies."""
        return ",".join(sorted({c.scope for c in self.inputs if c.scope}))

    @property
    def sources(self) -> list[str]:
        """Addresses of the published documents behind the figure."""
        return sorted({c.source_url for c in self.inputs if c.source_url})

    def rounded(self) -> float | None:
        """The value at the indicator's published precision (display unit for raw indicators)."""
        if self.value is None:
            return None
        return round(self.value / self.indicator.display_divisor, self.indicator.decimals)


def _cell(r: tuple[Any, ...]) -> Cell:
    """A cell from a row of the cell queries below (same column order as ``Cell``)."""
    return Cell(r[0], r[1], r[2], float(r[3]), r[4], bool(r[5]), bool(r[6]), bool(r[7]), r[8], r[9], r[10] or None)


def _combine(cells: Sequence[tuple[int, Cell]]) -> tuple[float, bool, bool, bool]:
    """Signed sum of cells with honest flags: a subtracted lower bound makes the result approximate."""
    total = sum(sign * c.value for sign, c in cells)
    lower = any(c.lower_bound for sign, c in cells if sign > 0)
    approx = any(c.approx for _, c in cells) or any(c.lower_bound for sign, c in cells if sign < 0)
    incomplete = any(c.incomplete for _, c in cells)
    return total, lower, approx, incomplete


class Analytics:
    """Reads the analytics file built by ``cube.rebuild``; safe to share between threads."""

    def __init__(self, path: Path, catalog: Catalog, tree: OrgUnitTree, vintage: str = "previous_year_end") -> None:
        self.path, self.catalog, self.tree, self.vintage = path, catalog, tree, vintage
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._mtime = 0.0

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if not self.path.exists():
            raise YangfanError.single("analytics.missing", "分析库尚未构建：请运行 yangfan demo 或 yangfan rebuild",
                                      "the analytics table is not built yet: run `yangfan demo` or `yangfan rebuild`")
        with self._lock:
            mtime = self.path.stat().st_mtime
            if self._con is None or mtime != self._mtime:  # reopen after a rebuild replaced the file
                if self._con is not None:
                    self._con.close()
                self._con = duckdb.connect(str(self.path), read_only=True)
                self._mtime = mtime
            return self._con.cursor()

    def fetch(self, keys: set[tuple[str, str, str]], disagg: str) -> dict[tuple[str, str, str], Cell]:
        """Cells for (indicator, org unit, period) keys."""
        if not keys:
            return {}
        k = list(keys)
        want = pa.table({"indicator": [x[0] for x in k], "org_unit": [x[1] for x in k], "period": [x[2] for x in k]})
        cur = self._cursor()
        cur.register("want", want)
        rows = cur.execute(
            """SELECT c.indicator, c.org_unit, c.period, c.value, c.origin, c.lower_bound, c.approx,
                      c.incomplete, c.scope, c.value_id, s.url
               FROM cube c JOIN want w USING (indicator, org_unit, period)
               LEFT JOIN sources s ON s.id = c.source_id
               WHERE c.indicator IN (SELECT DISTINCT indicator FROM want)
                 AND c.period IN (SELECT DISTINCT period FROM want) AND c.disagg = ?""", [disagg]).fetchall()
        return {(r[0], r[1], r[2]): _cell(r) for r in rows}

    def annual(self, indicators: set[str], org_units: set[str], disagg: str) -> dict[tuple[str, str], list[Cell]]:
        """Every year of annual indicators at these org units, newest first."""
        if not indicators:
            return {}
        cur = self._cursor()
        rows = cur.execute(
            """SELECT c.indicator, c.org_unit, c.period, c.value, c.origin, c.lower_bound, c.approx,
                      c.incomplete, c.scope, c.value_id, s.url
               FROM cube c LEFT JOIN sources s ON s.id = c.source_id
               WHERE c.indicator IN (SELECT unnest(?)) AND c.org_unit IN (SELECT unnest(?)) AND c.disagg = ?
               ORDER BY c.period DESC""", [sorted(indicators), sorted(org_units), disagg]).fetchall()
        out: dict[tuple[str, str], list[Cell]] = {}
        for r in rows:
            out.setdefault((r[0], r[1]), []).append(_cell(r))
        return out

    def run(self, q: Query) -> list[Figure]:
        """Compute every figure of the query; a figure whose inputs are missing has value None."""
        indicators = [self.catalog.indicator(code) for code in q.indicators]
        for ou in q.org_units:
            self.tree.get(ou)
        plans = {}
        keys: set[tuple[str, str, str]] = set()
        annual_inds: set[str] = set()
        for ind in indicators:
            for p in q.periods:
                rules = {code: rule_for(self.catalog.indicators[code], p, self.vintage,
                                        as_input=ind.kind == "derived") for code in ind.inputs}
                plans[(ind.code, p)] = rules
                for rule in rules.values():
                    if isinstance(rule, AnnualLookup):
                        annual_inds.add(rule.indicator)
                    elif rule is not None:
                        keys.update((t.indicator, ou, t.period) for t in rule for ou in q.org_units)
        cells = self.fetch(keys, q.disaggregation)
        annual = self.annual(annual_inds, set(q.org_units), q.disaggregation)
        out = []
        for ind in indicators:
            for ou in q.org_units:
                for p in q.periods:
                    out.append(self._figure(ind, ou, p, plans[(ind.code, p)], cells, annual, q.allow_incomplete))
        return out

    def _resolve(self, code: str, ou: str, rule: Rule, cells: dict[tuple[str, str, str], Cell],
                 annual: dict[tuple[str, str], list[Cell]], allow_incomplete: bool) -> list[tuple[int, Cell]] | None:
        if rule is None:
            return None
        if isinstance(rule, AnnualLookup):
            for c in annual.get((code, ou), []):
                if int(c.period) <= rule.max_year and (allow_incomplete or not c.incomplete):
                    return [(1, c)]
            return None
        found = []
        for t in rule:
            cell = cells.get((t.indicator, ou, t.period))
            if cell is None or (cell.incomplete and not allow_incomplete):
                return None
            found.append((t.sign, cell))
        return found

    def _figure(self, ind: Indicator, ou: str, p: Period, rules: Mapping[str, Rule],
                cells: dict[tuple[str, str, str], Cell], annual: dict[tuple[str, str], list[Cell]],
                allow_incomplete: bool) -> Figure:
        resolved = {code: self._resolve(code, ou, rule, cells, annual, allow_incomplete)
                    for code, rule in rules.items()}
        if ind.kind == "raw":
            terms = resolved[ind.code]
            if terms is None:
                return Figure(ind, ou, p, None)
            value, lower, approx, incomplete = _combine(terms)
            return Figure(ind, ou, p, value, None, None, lower, approx, incomplete, tuple(c for _, c in terms))
        parts = []
        for side in (ind.numerator, ind.denominator):
            terms = [t for code in side for t in (resolved[code] or [])]
            if any(resolved[code] is None for code in side):
                return Figure(ind, ou, p, None)
            parts.append((_combine(terms), terms))
        (num, n_lower, n_approx, n_inc), n_terms = parts[0]
        (den, d_lower, d_approx, d_inc), d_terms = parts[1]
        inputs = tuple(dict.fromkeys(c for _, c in n_terms + d_terms))
        if den == 0:
            return Figure(ind, ou, p, None, num, den, inputs=inputs)
        # A lower-bound numerator gives a lower-bound ratio; a lower-bound denominator makes it approximate.
        return Figure(ind, ou, p, num / den * ind.scale, num, den, n_lower and not d_lower,
                      n_approx or d_approx or d_lower, n_inc or d_inc, inputs)

    def series(self, indicator: str, org_unit: str, disagg: str = "") -> list[Period]:
        """Periods at which the indicator (or all inputs of a derived one) has stored or summed values."""
        ind = self.catalog.indicator(indicator)
        cur = self._cursor()
        inputs = [c for c in ind.inputs if self.catalog.indicators[c].period_type != "year" or ind.kind == "raw"]
        rows = cur.execute(
            """SELECT DISTINCT period FROM cube WHERE indicator IN (SELECT unnest(?)) AND org_unit = ?
               AND disagg = ? ORDER BY period""", [inputs, org_unit, disagg]).fetchall()
        return [parse_period(r[0]) for r in rows]

    def units_with_data(self, indicator: str, disagg: str = "") -> list[str]:
        """Org units that have values of the indicator (all inputs' first, for a derived one)."""
        ind = self.catalog.indicator(indicator)
        rows = self._cursor().execute(
            "SELECT DISTINCT org_unit FROM cube WHERE indicator = ? AND disagg = ? ORDER BY org_unit",
            [ind.inputs[0], disagg]).fetchall()
        return [r[0] for r in rows]

    def latest_month(self) -> Period:
        """The latest month with any value: the 'now' against which progress is measured."""
        row = self._cursor().execute("SELECT max(period) FROM cube WHERE length(period) = 7").fetchone()
        return parse_period(row[0]) if row and row[0] else Period(2000, "month", 1)
