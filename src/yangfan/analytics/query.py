"""Queries over the analytics table: the one function every face (CLI, API, pages) calls for figures.

A query is planned in Python (which stored cells make each figure, by the time rules) and
computed in one DuckDB statement: the cells are summed per figure and side (numerator,
denominator), a figure whose cells are not all there gets no value, and a derived figure is
the ratio of its two sums.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from yangfan.analytics import snapshots
from yangfan.analytics.timerules import AnnualLookup, PopulationYear, population_year_rule, rule_for
from yangfan.catalog import Catalog, Indicator
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import NATION, OrgUnitTree
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
    #: The public sees published figures only: each value as last published, even when a newer one is approved.
    published_only: bool = False

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
    sign: int
    origin: str
    lower_bound: bool
    approx: bool
    incomplete: bool
    scope: str
    value_id: int | None
    source_url: str | None
    #: Notes of the consistency checks this value failed (质量提示).
    quality: tuple[str, ...] = ()


class Figure(NamedTuple):
    """A computed figure: value, its numerator and denominator when derived, flags, scope and sources.

    A named tuple rather than a frozen dataclass: a city-level query makes thousands of them and
    a tuple is built four times faster, with the same immutability.
    """

    indicator: Indicator
    org_unit: str
    period: Period
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    lower_bound: bool = False
    approx: bool = False
    incomplete: bool = False
    scope: str = ""
    sources: tuple[str, ...] = ()
    #: Computed from synthetic demo values (演示数据) rather than reported figures.
    demo: bool = False
    #: Quality notes (质量提示) of every input that failed a consistency check.
    quality: tuple[str, ...] = ()

    def rounded(self) -> float | None:
        """The value at the indicator's published precision (display unit for raw indicators)."""
        if self.value is None:
            return None
        return round(self.value / self.indicator.display_divisor, self.indicator.decimals)


PLAN_SCHEMA = pa.schema([
    ("out_ind", pa.string()), ("out_period", pa.string()), ("side", pa.string()), ("n_num", pa.int32()),
    ("n_den", pa.int32()), ("in_ind", pa.string()), ("in_period", pa.string()), ("sign", pa.int8()),
    ("annual", pa.bool_()), ("max_year", pa.string())])

# Cells of every planned term at the requested org units. An annual lookup takes the latest
# year end at or before its limit (complete sums only, unless incomplete ones are allowed).
# The cube's key columns are ENUMs (see cube.py). Indicators and periods are filtered by constant
# lists of codes the cube knows (unknown ones dropped first, in Python): constants are cast to the
# ENUM once, so the scan skips the row groups outside the sorted ranges; the org units, which can
# be hundreds, by a semi-join.
_HITS = """
WITH cells AS (
    SELECT * REPLACE (period::VARCHAR AS period) FROM cube
    WHERE indicator IN ({indicators}) AND period IN ({periods}) AND disagg = {disagg}
      AND org_unit IN (SELECT TRY_CAST(x AS unit_t) FROM unnest($units) AS t(x))
      AND ($allow OR NOT incomplete) AND aud IN ('all', $audience)
), years AS (
    SELECT * REPLACE (period::VARCHAR AS period) FROM cube
    WHERE indicator IN ({annual}) AND disagg = {disagg}
      AND org_unit IN (SELECT TRY_CAST(x AS unit_t) FROM unnest($units) AS t(x))
      AND ($allow OR NOT incomplete) AND aud IN ('all', $audience)
), latest_year AS (  -- one pick per indicator, limit and unit, however many figures share it
    SELECT a.max_year, c.*
    FROM (SELECT DISTINCT in_ind, max_year FROM plan WHERE annual) a
    JOIN years c ON c.indicator = a.in_ind::indicator_t AND length(c.period) = 4 AND c.period <= a.max_year
    QUALIFY row_number() OVER (PARTITION BY a.in_ind, a.max_year, c.org_unit ORDER BY c.period DESC) = 1
), hits AS (
    SELECT t.out_ind, t.out_period, t.side, t.n_num, t.n_den, t.sign, c.*
    FROM plan t JOIN cells c ON c.indicator = t.in_ind AND c.period = t.in_period
    WHERE NOT t.annual
    UNION ALL
    SELECT t.out_ind, t.out_period, t.side, t.n_num, t.n_den, t.sign, c.* EXCLUDE (max_year)
    FROM plan t JOIN latest_year c ON c.indicator = t.in_ind AND c.max_year = t.max_year
    WHERE t.annual
)
"""
# One row per figure: numerator (or raw value) and denominator sums, complete only when every
# planned term was found, with the flags, scopes and sources of all the cells.
_FIGURES = _HITS + """
SELECT out_ind, out_period, org_unit,
       sum(CASE WHEN side = 'd' THEN 0 ELSE sign * value END), sum(CASE WHEN side = 'd' THEN sign * value END),
       -- flags as bits: 1 lower-bound numerator, 2 lower-bound denominator, 4 approximate, 8 incomplete, 16 demo
       bool_or(side <> 'd' AND lower_bound AND sign > 0)::INT + 2 * bool_or(side = 'd' AND lower_bound)::INT
         + 4 * bool_or(approx OR (lower_bound AND sign < 0))::INT + 8 * bool_or(incomplete)::INT
         + 16 * bool_or(demo)::INT,
       CASE WHEN min(scope) FILTER (WHERE scope <> '') = max(scope) THEN max(scope)
            ELSE concat_ws(',', min(scope) FILTER (WHERE scope <> ''), max(scope)) END,
       string_agg(source_id::VARCHAR, ','),
       coalesce(list_sort(list_distinct(flatten(list(quality) FILTER (WHERE len(quality) > 0)))), [])
FROM hits GROUP BY out_ind, out_period, org_unit
HAVING sum((side = 'd')::INT) = any_value(n_den) AND count(*) = any_value(n_num) + any_value(n_den)
"""
_CELLS = _HITS + """
SELECT out_period, indicator, org_unit, period, value, sign, origin, lower_bound, approx, incomplete, scope,
       value_id, source_id, quality
FROM hits ORDER BY out_period, side DESC, indicator, period
"""

@dataclass(frozen=True, slots=True)
class Build:
    """One build of the analytics file (a snapshot)."""

    id: str
    built_at: datetime
    #: The id of the store's last change (change_log) that the build includes.
    applied_change: int
    #: When that change was committed: the data are as of then (the build's time when there was none).
    as_of: datetime | None = None
    #: 'full' or 'incremental'.
    kind: str = "full"


def audience(published_only: bool) -> str:
    """Which rows of the cube a reader sees besides those for all: the public's or the ministry's."""
    return "public" if published_only else "ministry"


class _Snapshot:
    """One opened build file. A reader keeps the file it opened: a new build replaces the path, not the file."""

    def __init__(self, path: Path, stamp: tuple[int, int]) -> None:
        self.stamp = stamp
        try:
            self.con = duckdb.connect(str(snapshots.resolve(path)), read_only=True)
        except duckdb.IOException:  # pruned between resolving the link and opening: the link has moved on
            self.con = duckdb.connect(str(snapshots.resolve(path)), read_only=True)

    @cached_property
    def build(self) -> Build:
        cur = self.con.cursor()
        try:
            cur.execute("SELECT * FROM build")
        except duckdb.CatalogException:  # a file built before builds were recorded: it includes nothing known
            return Build("", datetime.fromtimestamp(self.stamp[1] / 1e9), -1)
        row = dict(zip([d[0] for d in cur.description or ()], cur.fetchone() or (), strict=True))
        return Build(row["build_id"], row["built_at"], int(row["applied_change"]), row.get("as_of"),
                     row.get("kind", "full"))

    @cached_property
    def source_urls(self) -> dict[int, str]:
        return {i: u for i, u in self.con.cursor().execute("SELECT id, url FROM sources WHERE url <> ''").fetchall()}

    @cached_property
    def known(self) -> dict[str, set[str]]:
        """Every code of each key column of the cube (the values of its ENUM types)."""
        return {t: {r[0] for r in self.con.cursor().execute(f"SELECT unnest(enum_range(NULL::{t}))").fetchall()}
                for t in ("indicator_t", "period_t", "unit_t", "disagg_t")}


class Analytics:
    """Reads the analytics file built by ``cube.rebuild``; safe to share between threads.

    Each call reads the newest build, unless the caller pinned one (``pinned``): a page or an API response then
    answers wholly from the build it started with, however many builds land meanwhile.
    """

    def __init__(self, path: Path, catalog: Catalog, tree: OrgUnitTree,
                 population_year: PopulationYear | None = None) -> None:
        self.path, self.catalog, self.tree = path, catalog, tree
        self.population_year = population_year or population_year_rule("publication_date")
        self._lock = threading.Lock()
        self._latest: _Snapshot | None = None
        self._pin: ContextVar[_Snapshot | None] = ContextVar(f"analytics-pin-{id(self)}", default=None)

    def _snapshot(self) -> _Snapshot:
        pinned = self._pin.get()
        if pinned is not None:
            return pinned
        try:
            st = self.path.stat()  # of the file the link points to: a new build is a new file
        except FileNotFoundError:
            raise YangfanError.single("analytics.missing", "分析库尚未构建：请运行 yangfan demo 或 yangfan rebuild",
                                      "the analytics table is not built yet: run `yangfan demo` or "
                                      "`yangfan rebuild`") from None
        stamp = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._latest is None or self._latest.stamp != stamp:  # a new build replaced the file: open it
                # The old snapshot is closed when the last reader that pinned it lets go of it.
                self._latest = _Snapshot(self.path, stamp)
            return self._latest

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        return self._snapshot().con.cursor()

    @contextmanager
    def pinned(self) -> Iterator[Build | None]:
        """Answer every read inside the block from the build that is newest now; yields it (None when there is
        no build yet)."""
        try:
            snap: _Snapshot | None = self._snapshot()
        except YangfanError:
            snap = None
        token = self._pin.set(snap)
        try:
            yield snap.build if snap is not None else None
        finally:
            self._pin.reset(token)

    @property
    def version(self) -> str:
        """Identity of the build that answers: results change only with it."""
        return self.build.id or str(self._snapshot().stamp)

    @property
    def build(self) -> Build:
        """Which build answers (its id and time) and the last change of the store it includes."""
        return self._snapshot().build

    @property
    def _source_urls(self) -> dict[int, str]:
        return self._snapshot().source_urls

    @property
    def _known(self) -> dict[str, set[str]]:
        return self._snapshot().known

    def _plan(self, indicators: list[Indicator], periods: tuple[Period, ...]) -> pa.Table:
        """One row per stored cell (or annual lookup) that each figure needs, per side of its ratio."""
        rows: list[tuple[Any, ...]] = []
        for ind in indicators:
            sides = (("r", (ind.code,)),) if ind.kind == "raw" else (("n", ind.numerator), ("d", ind.denominator))
            for p in periods:
                terms = {side: self._terms(ind, codes, p) for side, codes in sides}
                if not all(terms.values()):
                    continue  # some input cannot be known at this period: the figure stays empty
                n_num = len(terms.get("r") or terms["n"])
                n_den = len(terms.get("d", []))
                rows.extend((ind.code, p.code, side, n_num, n_den, *t) for side, ts in terms.items() for t in ts)
        return pa.Table.from_pylist([dict(zip(PLAN_SCHEMA.names, r, strict=True)) for r in rows], schema=PLAN_SCHEMA)

    def _terms(self, ind: Indicator, codes: tuple[str, ...], p: Period) -> list[tuple[str, str, int, bool, str]]:
        terms: list[tuple[str, str, int, bool, str]] = []
        for code in codes:
            rule = rule_for(self.catalog.indicators[code], p, self.population_year, as_input=ind.kind == "derived")
            if rule is None:
                return []
            if isinstance(rule, AnnualLookup):
                terms.append((code, "", 1, True, str(rule.max_year)))
            else:
                terms.extend((t.indicator, t.period, t.sign, False, "") for t in rule)
        return terms

    def _execute(self, sql: str, plan: pa.Table, units: list[str], q: Query) -> list[tuple[Any, ...]]:
        snap = self._snapshot()
        cur, known = snap.con.cursor(), snap.known
        lists = {"indicators": ("indicator_t", plan["in_ind"].to_pylist()),
                 "periods": ("period_t", plan["in_period"].to_pylist()),
                 "annual": ("indicator_t", plan.filter(plan["annual"])["in_ind"].to_pylist()),
                 "disagg": ("disagg_t", [q.disaggregation])}
        literals = {}
        for name, (type_, values) in lists.items():
            present = sorted(set(values) & known[type_])
            literals[name] = ", ".join("'" + v.replace("'", "''") + "'" for v in present) or "NULL"
        cur.register("plan", plan)
        return cur.execute(sql.format(**literals), {"allow": q.allow_incomplete, "units": units,
                                                       "audience": audience(q.published_only)}).fetchall()

    def run(self, q: Query) -> list[Figure]:
        """Compute every figure of the query, in query order; a figure whose inputs are missing has value None."""
        indicators = {code: self.catalog.indicator(code) for code in q.indicators}
        for ou in q.org_units:
            self.tree.get(ou)
        periods = {p.code: p for p in q.periods}
        plan = self._plan(list(indicators.values()), q.periods)
        found: dict[tuple[str, str, str], Figure] = {}
        rows = self._execute(_FIGURES, plan, list(q.org_units), q) if plan.num_rows else []
        for code, per, ou, num, den, flags, scope, src, quality in rows:
            ind = indicators[code]
            sources = self._urls(src) if src else ()
            if ind.kind == "raw":
                found[(code, ou, per)] = Figure(ind, ou, periods[per], num, None, None, flags & 1 > 0, flags & 4 > 0,
                                                flags & 8 > 0, scope or "", sources, flags & 16 > 0, tuple(quality))
            else:
                # A lower-bound numerator gives a lower-bound ratio; a lower-bound denominator makes it approximate.
                found[(code, ou, per)] = Figure(ind, ou, periods[per], num / den * ind.scale if den else None, num,
                                                den, flags & 3 == 1, flags & 6 > 0, flags & 8 > 0, scope or "", sources,
                                                flags & 16 > 0, tuple(quality))
        return [found.get((code, ou, pc)) or Figure(ind, ou, p, None)
                for code, ind in indicators.items() for ou in q.org_units for pc, p in periods.items()]

    def _urls(self, source_ids: str | None) -> tuple[str, ...]:
        if not source_ids:
            return ()
        urls = self._source_urls
        return tuple(sorted({urls[int(i)] for i in source_ids.split(",") if i and int(i) in urls}))

    def inputs(self, figure: Figure, allow_incomplete: bool = False, published_only: bool = False) -> list[Cell]:
        """The cells a figure was computed from (numerator first), for lineage."""
        found = self.inputs_by_period(figure.indicator.code, figure.org_unit, (figure.period,), allow_incomplete,
                                      published_only)
        return found.get(figure.period.code, [])

    def inputs_by_period(self, indicator: str, org_unit: str, periods: tuple[Period, ...],
                         allow_incomplete: bool = False, published_only: bool = False) -> dict[str, list[Cell]]:
        """The cells of one indicator's figures at one org unit, by figure period, in one query."""
        q = Query((indicator,), (org_unit,), periods, allow_incomplete=allow_incomplete, published_only=published_only)
        plan = self._plan([self.catalog.indicator(indicator)], q.periods)
        if not plan.num_rows:
            return {}
        urls = self._source_urls
        out: dict[str, list[Cell]] = {}
        for out_period, ind, ou, per, value, sign, origin, lb, ax, inc, scope, vid, sid, quality in self._execute(
                _CELLS, plan, [org_unit], q):
            out.setdefault(out_period, []).append(Cell(ind, ou, per, value, sign, origin, lb, ax, inc, scope, vid,
                                                       urls.get(sid) if sid else None, tuple(quality)))
        return out

    def series(self, indicator: str, org_unit: str, disagg: str = "", published_only: bool = False) -> list[Period]:
        """Periods at which the indicator (the sub-annual inputs of a derived one) has values."""
        return self.series_any(indicator, [org_unit], disagg, published_only)

    def series_any(self, indicator: str, org_units: Iterable[str], disagg: str = "",
                   published_only: bool = False) -> list[Period]:
        """Periods at which the indicator has values at any of these org units (for a derived one, where
        every sub-annual input has one: 5G users alone do not make a 5G share of users)."""
        ind = self.catalog.indicator(indicator)
        inputs = [c for c in ind.inputs if self.catalog.indicators[c].period_type != "year" or ind.kind == "raw"]
        rows = self._cursor().execute(
            """SELECT period FROM cube
               WHERE indicator IN (SELECT TRY_CAST(x AS indicator_t) FROM unnest(?) AS t(x))
                 AND org_unit IN (SELECT TRY_CAST(x AS unit_t) FROM unnest(?) AS t(x))
                 AND disagg = TRY_CAST(? AS disagg_t) AND aud IN ('all', ?)
               GROUP BY period HAVING count(DISTINCT indicator) = ? ORDER BY period""",
            [inputs, list(org_units), disagg, audience(published_only), len(inputs)]).fetchall()
        return [parse_period(r[0]) for r in rows]

    def reported(self, indicator: str, org_units: Iterable[str]) -> dict[tuple[str, str], Cell]:
        """Values reported for these units (not sums, not demo values), by (org unit, period)."""
        rows = self._cursor().execute(
            """SELECT org_unit, period, value, lower_bound, approx, scope, value_id, source_id, quality FROM cube
               WHERE indicator = TRY_CAST(? AS indicator_t) AND disagg = '' AND origin = 'reported' AND NOT demo
                 AND aud <> 'public' AND org_unit IN (SELECT TRY_CAST(x AS unit_t) FROM unnest(?) AS t(x))""",
            [indicator, list(org_units)]).fetchall()
        urls = self._source_urls
        return {(ou, per): Cell(indicator, ou, per, value, 1, "reported", lb, ax, False, scope, vid, urls.get(sid),
                                tuple(q))
                for ou, per, value, lb, ax, scope, vid, sid, q in rows}

    def cells_at(self, indicator: str, org_units: Iterable[str], period: str, disagg: str = "",
                 published_only: bool = False) -> dict[str, Cell]:
        """The cube's cells (reported or summed) of one indicator and period at these units, by unit."""
        rows = self._cursor().execute(
            """SELECT org_unit, value, origin, lower_bound, approx, incomplete, scope, value_id, source_id, quality
               FROM cube WHERE indicator = TRY_CAST(? AS indicator_t) AND period = TRY_CAST(? AS period_t)
                 AND disagg = TRY_CAST(? AS disagg_t) AND aud IN ('all', ?)
                 AND org_unit IN (SELECT TRY_CAST(x AS unit_t) FROM unnest(?) AS t(x))""",
            [indicator, period, disagg, audience(published_only), list(org_units)]).fetchall()
        urls = self._source_urls
        return {ou: Cell(indicator, ou, period, value, 1, origin, lb, ax, inc, scope, vid, urls.get(sid), tuple(q))
                for ou, value, origin, lb, ax, inc, scope, vid, sid, q in rows}

    def units_with_data(self, indicator: str, disagg: str = "", published_only: bool = False) -> list[str]:
        """Org units that have values of the indicator (its first input, for a derived one)."""
        ind = self.catalog.indicator(indicator)
        rows = self._cursor().execute(
            """SELECT DISTINCT org_unit FROM cube
               WHERE indicator = TRY_CAST(? AS indicator_t) AND disagg = TRY_CAST(? AS disagg_t)
                 AND aud IN ('all', ?) ORDER BY org_unit""",
            [ind.inputs[0], disagg, audience(published_only)]).fetchall()
        return [r[0] for r in rows]

    def quality_notes(self) -> list[Cell]:
        """Every reported value of the build that failed a consistency check (质量提示), with its notes."""
        rows = self._cursor().execute(
            """SELECT indicator::VARCHAR, org_unit::VARCHAR, period::VARCHAR, value, lower_bound, approx, scope,
                      value_id, source_id, quality FROM cube
               WHERE origin = 'reported' AND len(quality) > 0 AND aud <> 'public'
               ORDER BY indicator, period, org_unit""").fetchall()
        urls = self._source_urls
        return [Cell(ind, ou, per, value, 1, "reported", lb, ax, False, scope, vid, urls.get(sid), tuple(q))
                for ind, ou, per, value, lb, ax, scope, vid, sid, q in rows]

    def indicators_with_data(self, published_only: bool = False) -> set[str]:
        """Codes of the indicators that have any value the reader may see."""
        rows = self._cursor().execute("SELECT DISTINCT indicator::VARCHAR FROM cube WHERE aud IN ('all', ?)",
                                      [audience(published_only)]).fetchall()
        return {r[0] for r in rows}

    def periods(self, published_only: bool = False) -> list[Period]:
        """Every period that has values the reader may see, months then quarters then years, each in order."""
        rows = self._cursor().execute("SELECT DISTINCT period FROM visible_periods WHERE aud IN ('all', ?)",
                                      [audience(published_only)]).fetchall()
        return sorted((parse_period(r[0]) for r in rows if r[0]), key=lambda p: (p.type, p.start))

    def latest_month(self, published_only: bool = False) -> Period:
        """The latest month with a complete national figure: the 'now' against which progress is measured
        (数据截至); a month that only some province reported is not yet a month of national data."""
        row = self._cursor().execute(
            "SELECT max(period::VARCHAR) FROM cube WHERE org_unit = TRY_CAST(? AS unit_t) AND NOT incomplete "
            "AND length(period::VARCHAR) = 7 AND aud IN ('all', ?)", [NATION, audience(published_only)]).fetchone()
        return parse_period(row[0]) if row and row[0] else Period(2000, "month", 1)
