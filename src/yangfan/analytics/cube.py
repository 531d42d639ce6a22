"""Build the analytics table: released data values rolled up over org units, in DuckDB.

The store keeps what was reported; the cube adds, for every summable indicator, the sums over
the org-unit tree (county → prefecture → province → nation, provinces → groups) wherever a unit
did not report a figure of its own. A reported figure always wins over a computed sum. Totals
missing beside reported parts (operators, …) are the sum of the parts. Time is left at the
native periods: queries combine periods by the rules in ``timerules``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, text

from yangfan.analytics.export import export_facts
from yangfan.analytics.quality import check
from yangfan.catalog import Catalog
from yangfan.geo.orgunits import OrgUnitTree

Progress = Callable[[str], None]


def export_sources(store: Engine) -> pa.Table:
    """Sources, so that every figure can name where it comes from without touching the store."""
    with store.connect() as conn:
        rows = conn.execute(text("SELECT id, kind, coalesce(url, ''), title FROM source")).all()
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    return pa.table({"id": pa.array(cols[0], pa.int64()), "kind": pa.array(cols[1], pa.string()),
                     "url": pa.array(cols[2], pa.string()), "title": pa.array(cols[3], pa.string())})


def _units_table(tree: OrgUnitTree) -> pa.Table:
    places = [u for u in tree.units.values() if u.is_place]
    return pa.table({
        "code": [u.code for u in places],
        "parent": [u.parent for u in places],
        "level": pa.array([u.level for u in places], pa.int8()),
    })


def _members_table(tree: OrgUnitTree) -> pa.Table:
    pairs = list(tree.group_memberships())
    return pa.table({"grp": [g for g, _ in pairs], "member": [m for _, m in pairs]})


_KEY = "indicator, org_unit, period, disagg"
# A sum carries its parts' quality notes; past a few, one note that sends the reader to the lineage (a province
# whose every county jumped must not carry thousands of notes up to the nation).
_MAX_NOTES = 3
_CARRY = ("CASE WHEN len(list_distinct(flatten(list({q})))) <= {n} THEN list_distinct(flatten(list({q}))) "
          "ELSE ['其组成部分中有多条质量提示，见溯源 / several of its parts carry quality notes: see the lineage'] END")
_DEMOTED = ("首选来源的数值未通过一致性检查，改用本来源的数值 / the preferred source's value failed a consistency "
            "check: this source's value is used instead")
_ROLLUP = """
INSERT INTO derived
SELECT s.* FROM (
    SELECT c.indicator, {parent} AS org_unit, c.period, c.disagg, sum(c.value) AS value,
           bool_or(c.lower_bound) AS lower_bound, bool_or(c.approx) AS approx,
           'sum' AS origin, count(*) < any_value(x.n) OR bool_or(c.incomplete) AS incomplete,
           bool_and(c.published) AS published, bool_or(c.demo) AS demo, min(c.scope) AS scope,
           NULL::BIGINT AS value_id, NULL::BIGINT AS source_id, {carry} AS quality
    FROM work c JOIN {link} JOIN summable USING (indicator) JOIN {expected} x ON x.code = {parent}
    WHERE {where}
    GROUP BY c.indicator, {parent}, c.period, c.disagg
) s ANTI JOIN own USING ({key})
"""


def _key_types(con: duckdb.DuckDBPyConnection, facts: pa.Table, catalog: Catalog, tree: OrgUnitTree) -> None:
    """ENUM types for the key columns: joins, groups and sorts on small integers, in code order."""
    def distinct(column: str) -> list[str]:
        return sorted(set(pc.unique(facts[column]).to_pylist()) | {""})

    values = {"indicator_t": sorted(catalog.indicators), "period_t": distinct("period"),
              "unit_t": sorted([u.code for u in tree.units.values()] + list(tree.groups)),
              "disagg_t": distinct("disagg"), "scope_t": distinct("scope")}
    for name, codes in values.items():
        con.execute(f"CREATE TYPE {name} AS ENUM (SELECT unnest($v))", {"v": codes})


def _reference_tables(con: duckdb.DuckDBPyConnection, catalog: Catalog, tree: OrgUnitTree) -> None:
    summable = [i.code for i in catalog.indicators.values() if i.kind == "raw" and i.org_aggregation == "sum"]
    for name, table, casts in (
            ("summable", pa.table({"indicator": summable}), "indicator::indicator_t AS indicator"),
            ("units", _units_table(tree), "code::unit_t AS code, parent::unit_t AS parent, level"),
            ("members", _members_table(tree), "grp::unit_t AS grp, member::unit_t AS member")):
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT {casts} FROM {name}_arrow")
    con.execute("CREATE TEMP TABLE n_children AS SELECT parent AS code, count(*)::INTEGER AS n FROM units "
                "WHERE parent IS NOT NULL GROUP BY parent")
    con.execute("CREATE TEMP TABLE n_members AS SELECT grp AS code, count(*)::INTEGER AS n FROM members GROUP BY grp")


def _build(con: duckdb.DuckDBPyConnection, facts: pa.Table, catalog: Catalog, tree: OrgUnitTree,
           say: Progress) -> None:
    # Intermediate tables are TEMP (in memory, spilling if needed): only the final cube is written to the file.
    _key_types(con, facts, catalog, tree)
    _reference_tables(con, catalog, tree)
    say("reported values")
    # Candidates are every released value of a key, cast to the key types once (the checks read them several
    # times); `reported` is the store's preferred one of each.
    con.execute("""
        CREATE TEMP TABLE candidates AS
        SELECT indicator::indicator_t AS indicator, org_unit::unit_t AS org_unit, period::period_t AS period,
               disagg::disagg_t AS disagg, value, qualifier = 'lower_bound' AS lower_bound,
               qualifier = 'approx' AS approx, 'reported' AS origin, FALSE AS incomplete,
               status = 'published' AS published,
               source_id IN (SELECT id FROM sources WHERE kind = 'demo') AS demo,
               scope::scope_t AS scope, value_id, source_id, preferred
        FROM facts_arrow""")
    con.execute("CREATE TEMP VIEW reported AS SELECT * EXCLUDE (preferred) FROM candidates WHERE preferred")
    say("consistency checks")
    check(con, catalog)
    # Each value with the notes of the checks it failed (质量提示), carried on into sums and ratios. The preferred
    # value of a key stands unless it failed a check and another source's value of the same status passed them
    # all: then that one is used, and says why.
    # Views, not copies: the few notes and contested keys are joined in wherever the values are read.
    con.execute("CREATE TEMP TABLE notes AS SELECT value_id, list_distinct(list(note)) AS notes FROM flags "
                "GROUP BY value_id")
    con.execute("""
        CREATE TEMP VIEW noted AS
        SELECT c.*, coalesce(q.notes, []::VARCHAR[]) AS quality FROM candidates c LEFT JOIN notes q USING (value_id)""")
    # Only keys that some other source also gives need an election (few): the rest pass as they are.
    con.execute(f"CREATE TEMP TABLE contested AS SELECT DISTINCT {_KEY} FROM candidates WHERE NOT preferred")
    con.execute(f"""
        CREATE TEMP VIEW checked AS
        SELECT * EXCLUDE (preferred) FROM noted ANTI JOIN contested USING ({_KEY})
        UNION ALL
        SELECT * EXCLUDE (preferred, pref_published) REPLACE (
                   CASE WHEN preferred THEN quality ELSE list_append(quality, $demoted) END AS quality)
        FROM (SELECT n.*, bool_or(n.preferred AND n.published) OVER (PARTITION BY {_KEY}) AS pref_published
              FROM noted n SEMI JOIN contested USING ({_KEY}))
        WHERE preferred OR published OR NOT pref_published
        QUALIFY row_number() OVER (PARTITION BY {_KEY}
                                   ORDER BY len(quality) > 0, NOT preferred, lower_bound, approx, value_id DESC) = 1"""
                .replace("$demoted", "'" + _DEMOTED.replace("'", "''") + "'"))  # a view takes no parameters
    con.execute("CREATE TEMP TABLE derived AS SELECT * FROM checked LIMIT 0")
    con.execute("CREATE TEMP VIEW work AS SELECT * FROM checked UNION ALL SELECT * FROM derived")
    say("totals from parts")
    # A total that was not reported is the sum of its parts along one dimension (the first by name). A figure
    # restated on a later coverage (disaggregation scope=…) is not a part of anything.
    con.execute(f"""
        INSERT INTO derived
        SELECT t.* FROM (
            SELECT indicator, org_unit, period, ''::disagg_t AS disagg, v, lb, ax, 'parts', FALSE, pub, dm, sc,
                   NULL::BIGINT, NULL::BIGINT, qu
            FROM (SELECT indicator, org_unit, period, split_part(disagg, '=', 1) AS dim, sum(value) AS v,
                         bool_or(lower_bound) AS lb, bool_or(approx) AS ax, bool_and(published) AS pub,
                         bool_or(demo) AS dm, min(scope) AS sc, {_CARRY.format(q="quality", n=_MAX_NOTES)} AS qu
                  FROM work WHERE disagg <> '' AND NOT starts_with(disagg::VARCHAR, 'scope=')
                  GROUP BY indicator, org_unit, period, dim)
            QUALIFY row_number() OVER (PARTITION BY indicator, org_unit, period ORDER BY dim) = 1
        ) t ANTI JOIN (SELECT indicator, org_unit, period FROM work WHERE disagg = '')
              USING (indicator, org_unit, period)""")
    # What units with parts reported themselves: their own figure wins over any sum.
    con.execute(f"""CREATE TEMP TABLE own AS SELECT DISTINCT {_KEY} FROM work
                    WHERE org_unit IN (SELECT code FROM n_children UNION ALL SELECT code FROM n_members)""")
    carry = _CARRY.format(q="c.quality", n=_MAX_NOTES)
    for level in (3, 2, 1):
        say(f"sums to level {level - 1}")
        con.execute(_ROLLUP.format(parent="u.parent", link="units u ON u.code = c.org_unit",
                                   expected="n_children", where=f"u.level = {level}", key=_KEY, carry=carry))
    say("sums to groups")
    con.execute(_ROLLUP.format(parent="m.grp", link="members m ON m.member = c.org_unit",
                               expected="n_members", where="TRUE", key=_KEY, carry=carry))
    say("writing the cube")
    # Sorted by indicator and period so that a query reads only the row groups it needs.
    con.execute("CREATE TABLE cube AS SELECT * FROM work ORDER BY indicator, period")
    con.execute("DROP VIEW work")
    con.execute("DROP TABLE derived")


def build_cube(facts: pa.Table, sources: pa.Table, target: Path, catalog: Catalog, tree: OrgUnitTree,
               say: Progress = lambda _msg: None) -> int:
    """Write the analytics file for these facts, atomically (readers never see half a cube); returns its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".building")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp), config={"preserve_insertion_order": False})
    try:
        con.register("facts_arrow", facts)
        con.register("sources_arrow", sources)
        con.execute("CREATE TABLE sources AS SELECT * FROM sources_arrow")
        _build(con, facts, catalog, tree, say)
        n_cube = int(con.execute("SELECT count(*) FROM cube").fetchone()[0])  # type: ignore[index]
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, target)
    return n_cube


def rebuild(store: Engine, target: Path, catalog: Catalog, tree: OrgUnitTree,
            say: Progress = lambda _msg: None) -> dict[str, float]:
    """Rebuild the analytics file from the store; returns timings and row counts."""
    t0 = time.perf_counter()
    say("exporting released values from the store")
    facts = export_facts(store.url)
    sources = export_sources(store)
    t_export = time.perf_counter() - t0
    n_cube = build_cube(facts, sources, target, catalog, tree, say)
    return {"facts": float(facts.num_rows), "cube": float(n_cube), "export_s": t_export,
            "total_s": time.perf_counter() - t0}
