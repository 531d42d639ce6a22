"""Bring the analytics up to the store by recomputing only what the new changes touched.

A change in the store's log names the slices (indicator, period) and the org units it touched. The tree is cut
into regions (``Regions``): blocks (a unit right below a province, with its subtree), provinces on their own, and
the top (nation, groups, reporting units). A cell depends on the values of its own slice within its block, on
the cells right below it (a province on its blocks, the top on the provinces), and through the consistency checks
on a few neighbours: the month before and the month a year before (jumps), the part or whole of the same key,
and, for the nation, the regions' parts and shares. So a change to block B in slice (i, p) recomputes B, its
province and the top of (i, p); the next month and the month a year on of B, whose checks compare with p; and the
cells whose checks compare with (i, p) (``Dependencies``). The recomputation runs the same build as a full rebuild
(``cube.build_rows``) over the changed cells' facts from the store, with the neighbours' values from the
snapshot's ``reported_values`` marked as context (checked against, never summed), and the untouched blocks and
provinces below the recomputed cells added in as they stand.

The new snapshot is a copy of the current one with those cells replaced, published by ``snapshots``: readers keep
the old file until they open the new one. Anything the rules cannot patch (a build made by another recipe, a
change that does not say what it touched, a value the snapshot's ENUMs do not know, or a change touching a large
part of the cube) gets a full rebuild instead.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, Engine, text

from yangfan.analytics import cube, snapshots
from yangfan.analytics.export import EXPORT_SQL, FACT_SCHEMA, export_facts
from yangfan.analytics.quality import MONTHS_JUDGED_AGAINST, Rules, get_rules, monthly_stocks
from yangfan.catalog import Catalog
from yangfan.geo.orgunits import OrgUnitTree

#: The region of the nation, the groups and the reporting units that are not places: recomputed with every slice.
TOP = "top"
#: Past this many incremental builds the next one is full: deleted cells leave holes in the file and the cube
#: loses its sort order, which a full build restores.
COMPACT_AFTER = 500
#: Past this many org units a build reads the facts as a full rebuild does (ADBC, in a child process for SQLite):
#: its start costs half a second, which a few provinces' values do not repay.
MANY_UNITS = 1500
#: Reads of many provinces' facts retried while new changes keep arriving, before a full build takes over.
READ_ATTEMPTS = 5
#: A change set that touches more than this share of the cube's (slice, region) cells is applied in full.
FULL_ABOVE = 0.25

Cell = tuple[str, str, str]  # (indicator, period, region)


class Regions:
    """The parts of the tree a build recomputes separately: a *block* (a unit right below a province, with
    everything under it), a province on its own, or ``TOP`` (the nation, the groups and the reporting units that
    are not places). A province is the sum of its blocks, the nation of its provinces: a change in a block
    recomputes that block from its facts and the province and the top from the cells below them."""

    def __init__(self, tree: OrgUnitTree) -> None:
        self.of: dict[str, str] = {}
        for code, unit in tree.units.items():
            self.of[code] = self._region(tree, code) if unit.is_place and unit.level else TOP
        for code in tree.groups:
            self.of[code] = TOP
        self.units: dict[str, list[str]] = defaultdict(list)
        for code, region in sorted(self.of.items()):
            self.units[region].append(code)
        self.provinces = sorted(u.code for u in tree.at_level(1))
        #: The region each region sums into.
        self.up: dict[str, str] = {r: (TOP if r in self.provinces else self.of[tree.units[r].parent or ""])
                                   for r in self.units if r != TOP}
        #: The regions right below each province.
        self.blocks: dict[str, list[str]] = defaultdict(list)
        for r, parent in sorted(self.up.items()):
            if parent != TOP:
                self.blocks[parent].append(r)
        #: Each org unit's region, as a table to join in SQL.
        self.table = pa.table({"code": list(self.of), "region": list(self.of.values())})

    @staticmethod
    def _region(tree: OrgUnitTree, code: str) -> str:
        unit = tree.units[code]
        if unit.level == 1:
            return code
        while unit.parent and unit.parent in tree.units:
            parent = tree.units[unit.parent]
            if parent.level == 1:
                return unit.code
            unit = parent
        return TOP


_REGIONS: dict[int, tuple[OrgUnitTree, Regions]] = {}


def _regions(tree: OrgUnitTree) -> Regions:
    """The regions of a tree, computed once per tree (kept with it, so that its id is not reused)."""
    if id(tree) not in _REGIONS:
        _REGIONS[id(tree)] = (tree, Regions(tree))
    return _REGIONS[id(tree)][1]


def _month_shift(period: str, months: int) -> str | None:
    if len(period) != 7 or period[4] != "-":
        return None
    k = int(period[:4]) * 12 + int(period[5:]) - 1 + months
    return f"{k // 12}-{k % 12 + 1:02d}"


class Dependencies:
    """Which cells a change touches, and which facts recomputing them needs (``quality`` rules)."""

    def __init__(self, catalog: Catalog, regions: Regions, rules: Rules | None = None) -> None:
        rules = rules or get_rules()
        self.regions = regions
        self.stocks = set(monthly_stocks(catalog))
        self.partners: dict[str, set[str]] = defaultdict(set)
        for rule in rules.parts:
            self.partners[rule.part].add(rule.whole)
            self.partners[rule.whole].add(rule.part)
        self.implied = [(r.whole, r.part, r.share) for r in rules.implied_wholes]

    def affected(self, touched: Iterable[Cell]) -> set[Cell]:
        """The cells whose cube rows may change: the touched ones, the later months whose checks compare with
        them, the other side of a part-whole check, and the top of every slice concerned."""
        out: set[Cell] = set()
        for i, p, r in touched:
            out.add((i, p, r))
            if i in self.stocks:
                out.update((i, q, r) for q in (_month_shift(p, m) for m in MONTHS_JUDGED_AGAINST) if q)
            out.update((other, p, r) for other in self.partners.get(i, ()))
            if r == TOP:
                out.update((whole, p, TOP) for whole, part, share in self.implied if i in (part, share))
        # The province above each block, and the top of every slice: their sums change with it.
        out.update({(i, p, self.regions.up[r]) for i, p, r in out if r != TOP and self.regions.up[r] != TOP})
        out.update({(i, p, TOP) for i, p, _ in out})
        return out

    def inputs(self, affected: Iterable[Cell]) -> set[Cell]:
        """The cells whose facts the checks of ``affected`` read besides their own."""
        out: set[Cell] = set()
        for i, p, r in affected:
            if i in self.stocks:
                out.update((i, q, r) for q in (_month_shift(p, -m) for m in MONTHS_JUDGED_AGAINST) if q)
            out.update((other, p, r) for other in self.partners.get(i, ()))
            if r == TOP:
                for whole, part, share in self.implied:
                    if i == whole:
                        out.update({(part, p, TOP), (share, p, TOP)})
        return out


@dataclass(frozen=True, slots=True)
class Pending:
    """The store's changes after a build: the last one's id and time, and the cells they touched (None when
    some change does not say, which only a full build can apply)."""

    last: int
    as_of: datetime | None
    count: int
    touched: set[Cell] | None


def pending(conn: Connection, after: int, regions: Regions) -> Pending:
    """The changes committed after change ``after``."""
    rows = conn.execute(text("SELECT id, at, detail FROM change_log WHERE id > :after ORDER BY id"),
                        {"after": after}).all()
    if not rows:
        return Pending(after, None, 0, set())
    last, as_of = int(rows[-1][0]), cube.timestamp(rows[-1][1])
    touched: set[Cell] | None = set()
    for row in rows:
        detail = json.loads(row[2] or "{}")
        if "slices" not in detail or touched is None:
            touched = None
            continue
        touched_regions = {regions.of.get(u, TOP) for u in detail["units"]}
        touched.update((i, p, r) for i, p in detail["slices"] for r in touched_regions)
    return Pending(last, as_of, len(rows), touched)


@dataclass(frozen=True, slots=True)
class Selection:
    """The facts a build reads: of these indicators and periods, and of these org units (None: all of them)."""

    indicators: list[str]
    periods: list[str]
    units: list[str] | None

    @classmethod
    def of(cls, cells: set[Cell], regions: Regions) -> Selection:
        wanted = {r for _, _, r in cells}
        named = sorted(u for r in wanted for u in regions.units[r])
        units = named if len(named) <= MANY_UNITS else None
        return cls(sorted({i for i, _, _ in cells}), sorted({p for _, p, _ in cells}), units)

    def where(self) -> str:
        """As an SQL condition on ``data_value``, of quoted codes."""
        sql = (f"indicator_code IN ({_literals(set(self.indicators))}) "
               f"AND period_code IN ({_literals(set(self.periods))})")
        return sql + (f" AND org_unit_code IN ({_literals(set(self.units))})" if self.units is not None else "")


def _read_here(conn: Connection, selection: Selection) -> pa.Table:
    """A few provinces' facts, on the caller's connection (inside its transaction)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # plain tuples, no Row objects
    cursor.execute(f"{EXPORT_SQL} AND {selection.where()}")
    rows = cursor.fetchall()
    cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(FACT_SCHEMA)
    # Inferred, then cast: SQLite gives booleans as integers.
    return pa.table([pa.array(list(c), None if c else f.type).cast(f.type)
                     for c, f in zip(columns, FACT_SCHEMA, strict=True)], schema=FACT_SCHEMA)


def _mark(raw: pa.Table, cells: set[Cell], regions: Regions) -> pa.Table:
    """The facts of ``cells`` among ``raw`` (a read may bring more), marked as not context."""
    with duckdb.connect() as con:
        con.register("raw", raw)
        con.register("regions_arrow", regions.table)
        con.register("wanted", _cells_table(cells))
        return con.sql("""SELECT f.*, FALSE AS context FROM raw f JOIN regions_arrow r ON r.code = f.org_unit
                          JOIN wanted w ON w.indicator = f.indicator AND w.period = f.period
                                       AND w.region = r.region""").to_arrow_table()


def _context_facts(con: duckdb.DuckDBPyConnection, cells: set[Cell], regions: Regions) -> pa.Table:
    """The values the checks compare with in ``cells``, as the snapshot on ``con`` holds them, as facts marked
    context (each key's preferred released value: what the checks read of a neighbour)."""
    if not cells:
        return FACT_SCHEMA.append(pa.field("context", pa.bool_())).empty_table()
    con.register("context_cells", _cells_table(cells))
    con.register("regions_arrow", regions.table)
    return con.sql("""
        SELECT NULL::BIGINT AS value_id, v.indicator::VARCHAR AS indicator, v.org_unit::VARCHAR AS org_unit,
               v.period::VARCHAR AS period, v.disagg::VARCHAR AS disagg, v.value,
               CASE WHEN v.lower_bound THEN 'lower_bound' WHEN v.approx THEN 'approx' ELSE 'exact' END AS qualifier,
               '' AS scope, CASE WHEN v.demo THEN -1 ELSE 0 END::BIGINT AS source_id, 'published' AS status,
               TRUE AS preferred, 0::BIGINT AS priority, TRUE AS context
        FROM reported_values v JOIN regions_arrow r ON r.code = v.org_unit::VARCHAR
        JOIN context_cells c ON c.indicator = v.indicator::VARCHAR AND c.period = v.period::VARCHAR
                            AND c.region = r.region
        WHERE """ + _within("v", cells)).to_arrow_table()


def _within(table: str, cells: set[Cell]) -> str:
    """The cells' indicators and periods as constant lists on ``table``'s columns: a scan of a table sorted by
    indicator and period (the cube, the judged values) then reads only their row groups."""
    return (f"{table}.indicator IN ({_literals({i for i, _, _ in cells})}) "
            f"AND {table}.period IN ({_literals({p for _, p, _ in cells})})")


def _literals(codes: set[str]) -> str:
    """Codes as SQL string literals (quotes doubled)."""
    return ", ".join("'" + c.replace("'", "''") + "'" for c in sorted(codes))


def _cells_table(cells: Iterable[Cell]) -> pa.Table:
    rows = sorted(cells)
    return pa.table({"indicator": [c[0] for c in rows], "period": [c[1] for c in rows],
                     "region": [c[2] for c in rows]})


def _extras(affected: set[Cell], regions: Regions) -> pa.Table:
    """(indicator, period, org unit) of the cells that the sums of the affected cells read as they stand."""
    by_slice: dict[tuple[str, str], set[str]] = defaultdict(set)
    for i, p, r in affected:
        by_slice[(i, p)].add(r)
    rows: list[tuple[str, str, str]] = []
    for (i, p), touched in sorted(by_slice.items()):
        below = [b for r in touched if r in regions.blocks for b in regions.blocks[r]] + regions.provinces
        rows.extend((i, p, u) for u in below if u not in touched)
    return pa.table({"indicator": [r[0] for r in rows], "period": [r[1] for r in rows],
                     "org_unit": [r[2] for r in rows]}, schema=pa.schema([("indicator", pa.string()),
                                                                         ("period", pa.string()),
                                                                         ("org_unit", pa.string())]))


# The key columns and their ENUM types: rows move from one build's types to text and into another's.
_KEYS = {"indicator": "indicator_t", "org_unit": "unit_t", "period": "period_t", "disagg": "disagg_t",
         "scope": "scope_t", "aud": "aud_t"}
_CUBE_KEYS = tuple(_KEYS)
_JUDGED_KEYS = ("indicator", "org_unit", "period", "disagg")


def _as_text(columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c}::VARCHAR AS {c}" for c in columns)


def _as_enum(columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c}::{_KEYS[c]} AS {c}" for c in columns)


class NotPatchable(Exception):
    """The snapshot cannot take these changes incrementally: a full build must."""


def _snapshot_build(con: duckdb.DuckDBPyConnection, recipe_id: str) -> tuple[int, int]:
    """The applied change and the count of incremental builds of the snapshot on ``con``, if it can be patched
    by a build of this recipe."""
    try:
        rows = con.execute("SELECT applied_change, since_full, recipe FROM build").fetchall()
    except duckdb.Error as exc:
        raise NotPatchable("a snapshot from before incremental builds") from exc
    row = rows[0]
    if row[2] != recipe_id:
        raise NotPatchable("the catalog, the org units or the rules changed since the snapshot")
    if row[1] >= COMPACT_AFTER:
        raise NotPatchable("compaction due")
    return int(row[0]), int(row[1])


def update(store: Engine, target: Path, catalog: Catalog, tree: OrgUnitTree,
           say: cube.Progress = lambda _m: None, full_above: float = FULL_ABOVE) -> dict[str, float] | None:
    """Apply the store's changes since the analytics file's build to a new snapshot; a full rebuild when they
    cannot be patched in. Returns timings and counts (``kind`` 1 for incremental, 0 for full), or None when the
    analytics were already up to date. The caller holds the build lock."""
    if not target.exists():
        return {**cube.rebuild(store, target, catalog, tree, say), "kind": 0.0}
    t0 = time.perf_counter()
    regions = _regions(tree)
    recipe_id = cube.recipe(catalog, tree)
    try:
        with duckdb.connect(str(snapshots.resolve(target)), read_only=True) as current:
            applied, since_full = _snapshot_build(current, recipe_id)
        deps = Dependencies(catalog, regions)
        for _attempt in range(READ_ATTEMPTS):
            with store.connect() as conn:
                # One snapshot of the store: the changes, and the facts they touched when they are few.
                if store.dialect.name == "sqlite":
                    conn.exec_driver_sql("BEGIN")
                else:
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                todo = pending(conn, applied, regions)
                if todo.count == 0:
                    return None
                if todo.touched is None:
                    raise NotPatchable("a change that does not say what it touched")
                affected = deps.affected(todo.touched)
                # The store gives the affected cells; the snapshot the others the checks compare with (``inputs``),
                # which no pending change touched, so that the snapshot holds them as the store does.
                context = deps.inputs(affected) - affected
                selection = Selection.of(affected, regions)
                raw = _read_here(conn, selection) if selection.units is not None else None
                conn.rollback()
            if raw is not None:
                break
            # Many provinces: read as the full rebuild reads (ADBC, Arrow), with the store's last change in the
            # same transaction. A change committed since the changes above were read may be in these facts: plan
            # again with it rather than show part of it.
            raw = export_facts(store.url, selection.where())
            if int((raw.schema.metadata or {}).get(b"last_change", b"0")) == todo.last:
                break
        else:
            raise NotPatchable("changes kept arriving while the facts were read")
        facts = _mark(raw, affected, regions)
        sources = cube.export_sources(store)
        t_read = time.perf_counter() - t0
        say(f"applying {todo.count} change(s): {len(affected)} slice-regions, {facts.num_rows} facts")
        n_new = _patch(target, facts, context, sources, affected, regions, catalog, tree, todo,
                       since_full, recipe_id, full_above)
    except NotPatchable as why:
        say(f"full rebuild: {why}")
        return {**cube.rebuild(store, target, catalog, tree, say), "kind": 0.0}
    return {"facts": float(facts.num_rows), "cells": float(n_new), "changes": float(todo.count),
            "read_s": t_read, "total_s": time.perf_counter() - t0, "kind": 1.0}


def _recompute(facts: pa.Table, sources: pa.Table, extras: pa.Table, catalog: Catalog,
               tree: OrgUnitTree) -> tuple[pa.Table, pa.Table]:
    """The cube rows of the affected cells (the build of their facts, without the cells added as they stand), and
    the values their checks judged by."""
    # Context facts name no source, only whether they are demo values: source -1 (see ``_context_facts``).
    sources = pa.concat_tables([sources, pa.table({"id": [-1], "kind": ["demo"], "url": [""], "title": [""]},
                                                  schema=sources.schema)])
    with duckdb.connect(config={"preserve_insertion_order": False}) as con:
        con.register("facts_arrow", facts)
        con.register("sources_arrow", sources)
        con.execute("CREATE TABLE sources AS SELECT * FROM sources_arrow")
        cube.build_rows(con, facts, catalog, tree, extras=extras)
        rows = con.sql(f"""SELECT * REPLACE ({_as_text(_CUBE_KEYS)}) FROM cube c
                              ANTI JOIN extras_arrow x ON x.indicator = c.indicator::VARCHAR
                                   AND x.period = c.period::VARCHAR AND x.org_unit = c.org_unit::VARCHAR""") \
            .to_arrow_table()
        judged = con.sql(f"SELECT * REPLACE ({_as_text(_JUDGED_KEYS)}) FROM reported_values").to_arrow_table()
    return rows, judged


def _patch(target: Path, facts: pa.Table, context: set[Cell], sources: pa.Table, affected: set[Cell],
           regions: Regions, catalog: Catalog, tree: OrgUnitTree, todo: Pending, since_full: int, recipe_id: str,
           full_above: float) -> int:
    """Copy the snapshot, replace the affected cells and the values their checks judged by, and publish it."""
    with snapshots.writing(target, patch=True) as con:
        # The cube's size in slice-regions, from the small table of periods rather than a scan of the cube.
        n_periods = int(con.execute("SELECT count(DISTINCT period) FROM visible_periods").fetchall()[0][0])
        n_cells = max(n_periods, 1) * len({i for i, _, _ in affected}) * len(regions.units)
        if len(affected) > full_above * n_cells:
            raise NotPatchable(f"{len(affected)} slice-regions touched, a large part of the cube")
        within = _within("cube", affected)
        con.register("affected_arrow", _cells_table(affected))
        con.register("regions_arrow", regions.table)
        try:
            con.execute("""CREATE TEMP TABLE gone AS
                           SELECT a.indicator::indicator_t AS indicator, a.period::period_t AS period,
                                  r.code::unit_t AS org_unit
                           FROM affected_arrow a JOIN regions_arrow r USING (region)""")
        except duckdb.ConversionException as exc:
            raise NotPatchable("a period the snapshot does not know") from exc
        # The cells right below what is recomputed, as they stand: the blocks of a recomputed province that no
        # change touched, and the provinces that no change touched, which the sums add in.
        con.register("extras_wanted", _extras(affected, regions))
        extras = con.sql("""
            SELECT cube.* FROM cube JOIN extras_wanted x ON cube.indicator = x.indicator::indicator_t
                AND cube.period = x.period::period_t AND cube.org_unit = x.org_unit::unit_t
            WHERE """ + within).to_arrow_table()
        try:
            known = _context_facts(con, context, regions)
        except duckdb.CatalogException as exc:
            raise NotPatchable("a snapshot without the values its checks judged by") from exc
        rows, judged = _recompute(pa.concat_tables([facts, known.cast(facts.schema)]), sources, extras, catalog, tree)
        con.execute("DELETE FROM cube USING gone g WHERE cube.indicator = g.indicator AND cube.period = g.period "
                    f"AND cube.org_unit = g.org_unit AND {within}")
        con.register("rows_arrow", rows)
        try:
            con.execute(f"INSERT INTO cube BY NAME SELECT * REPLACE ({_as_enum(_CUBE_KEYS)}) "
                        "FROM rows_arrow ORDER BY indicator, period")
        except duckdb.ConversionException as exc:
            raise NotPatchable("a disaggregation or scope the snapshot does not know") from exc
        con.execute("DELETE FROM reported_values USING gone g WHERE reported_values.indicator = g.indicator "
                    "AND reported_values.period = g.period AND reported_values.org_unit = g.org_unit AND "
                    + _within("reported_values", affected))
        con.register("judged_arrow", judged)
        con.execute(f"INSERT INTO reported_values BY NAME SELECT * REPLACE ({_as_enum(_JUDGED_KEYS)}) "
                    "FROM judged_arrow")
        con.execute("DELETE FROM visible_periods WHERE period IN (SELECT DISTINCT period FROM affected_arrow)")
        periods = _literals({p for _, p, _ in affected})
        con.execute(f"INSERT INTO visible_periods SELECT DISTINCT period::VARCHAR, aud FROM cube "
                    f"WHERE period IN ({periods})")
        con.register("sources_arrow", sources)
        con.execute("CREATE OR REPLACE TABLE sources AS SELECT * FROM sources_arrow")
        cube.write_build_row(con, applied_change=todo.last, as_of=todo.as_of, kind="incremental",
                             since_full=since_full + 1, recipe_id=recipe_id)
    return int(rows.num_rows)
