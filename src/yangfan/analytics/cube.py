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
import uuid
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
#: Who sees a row of the cube: everyone ('all'), only those who read approved figures before publication
#: ('ministry'), or only those who read published ones ('public', the published figure a newer approved one
#: will replace). A key is split only while some released value of it is not yet published.
AUDIENCES = ("all", "ministry", "public")


def split_aggregate(select: str, source: str, where: str, group: str, split: str, split_on: str) -> str:
    """SQL of an aggregate (``select`` over ``source``, grouped by ``group``) per audience.

    Output keys in ``split`` (a table or query of keys, joined ``ON split_on`` with alias ``sp``) are computed
    once for the ministry and once for the public, each from the rows it may see (``c.aud``); every other key
    once, for all: so the work grows with the unpublished values, not with the history.
    """
    return f"""
    SELECT {select}, 'all'::aud_t AS aud FROM {source} ANTI JOIN ({split}) sp ON {split_on}
    WHERE {where} GROUP BY {group}
    UNION ALL
    SELECT {select}, a.aud FROM {source} JOIN ({split}) sp ON {split_on}
    JOIN (SELECT unnest(['ministry', 'public'])::aud_t AS aud) a ON c.aud IN ('all', a.aud)
    WHERE {where} GROUP BY {group}, a.aud"""


_ROLLUP_SELECT = """c.indicator, {parent} AS org_unit, c.period, c.disagg, sum(c.value) AS value,
           bool_or(c.lower_bound) AS lower_bound, bool_or(c.approx) AS approx,
           'sum' AS origin, count(*) < any_value(x.n) OR bool_or(c.incomplete) AS incomplete,
           bool_and(c.published) AS published, bool_or(c.demo) AS demo, min(c.scope) AS scope,
           NULL::BIGINT AS value_id, NULL::BIGINT AS source_id, {carry} AS quality"""
_ON_KEY = ("{a}.indicator = {b}.indicator AND {a}.org_unit = {org} AND {a}.period = {b}.period "
           "AND {a}.disagg = {b}.disagg")


def _rollup(parent: str, link: str, expected: str, where: str, carry: str) -> str:
    """Sums over children into parents that did not report their own figure (in the audience concerned)."""
    source = f"work c JOIN {link} JOIN summable USING (indicator) JOIN {expected} x ON x.code = {parent}"
    split = (f"SELECT DISTINCT c.indicator, {parent} AS org_unit, c.period, c.disagg FROM work c JOIN {link} "
             f"WHERE {where} AND c.aud <> 'all' UNION SELECT {_KEY} FROM own WHERE aud <> 'all'")
    body = split_aggregate(_ROLLUP_SELECT.format(parent=parent, carry=carry), source, where,
                           f"c.indicator, {parent}, c.period, c.disagg", split,
                           _ON_KEY.format(a="sp", b="c", org=parent))
    return f"""INSERT INTO derived BY NAME
    SELECT s.* FROM ({body}) s
    ANTI JOIN own o ON {_ON_KEY.format(a="o", b="s", org="s.org_unit")} AND (o.aud = 'all' OR o.aud = s.aud)"""


def _key_types(con: duckdb.DuckDBPyConnection, facts: pa.Table, catalog: Catalog, tree: OrgUnitTree) -> None:
    """ENUM types for the key columns: joins, groups and sorts on small integers, in code order."""
    def distinct(column: str) -> list[str]:
        return sorted(set(pc.unique(facts[column]).to_pylist()) | {""})

    con.execute(f"CREATE TYPE aud_t AS ENUM {AUDIENCES}")
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
    con.execute("""
        CREATE TEMP TABLE facts AS
        SELECT indicator::indicator_t AS indicator, org_unit::unit_t AS org_unit, period::period_t AS period,
               disagg::disagg_t AS disagg, value, qualifier = 'lower_bound' AS lower_bound,
               qualifier = 'approx' AS approx, 'reported' AS origin, FALSE AS incomplete,
               status = 'published' AS published,
               source_id IN (SELECT id FROM sources WHERE kind = 'demo') AS demo,
               scope::scope_t AS scope, value_id, source_id, preferred, priority
        FROM facts_arrow""")
    # Every released value of a key is a candidate, for everyone ('all') while all of them are published. A key
    # with an approved value not yet published is split: the ministry's candidates are all of them with the
    # store's choice; the public's are the published ones, of which the best (priority, then exact over
    # approximate over lower bound, then the latest) is its choice. So the public keeps the published figure
    # until the new one is published.
    con.execute(f"CREATE TEMP TABLE split AS SELECT DISTINCT {_KEY} FROM facts WHERE NOT published")
    con.execute(f"""
        CREATE TEMP TABLE audienced AS
        SELECT * EXCLUDE (priority), 'all'::aud_t AS aud FROM facts ANTI JOIN split USING ({_KEY})
        UNION ALL
        SELECT * EXCLUDE (priority), 'ministry'::aud_t FROM facts SEMI JOIN split USING ({_KEY})
        UNION ALL
        SELECT * EXCLUDE (priority) REPLACE (
                   row_number() OVER (PARTITION BY {_KEY} ORDER BY priority DESC, lower_bound, approx,
                                      value_id DESC) = 1 AS preferred), 'public'::aud_t
        FROM facts SEMI JOIN split USING ({_KEY}) WHERE published""")
    con.execute("DROP TABLE facts")
    # The consistency checks judge the values as the ministry sees them (every released value).
    con.execute("CREATE TEMP VIEW candidates AS SELECT * EXCLUDE (aud) FROM audienced WHERE aud <> 'public'")
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
        SELECT c.*, coalesce(q.notes, []::VARCHAR[]) AS quality FROM audienced c LEFT JOIN notes q USING (value_id)""")
    # Only keys that some other source also gives need an election (few): the rest pass as they are.
    con.execute(f"CREATE TEMP TABLE contested AS SELECT DISTINCT {_KEY}, aud FROM audienced WHERE NOT preferred")
    con.execute(f"""
        CREATE TEMP VIEW elected AS
        SELECT * EXCLUDE (preferred) FROM noted ANTI JOIN contested USING ({_KEY}, aud)
        UNION ALL
        SELECT * EXCLUDE (preferred, pref_published) REPLACE (
                   CASE WHEN preferred THEN quality ELSE list_append(quality, $demoted) END AS quality)
        FROM (SELECT n.*, bool_or(n.preferred AND n.published) OVER (PARTITION BY {_KEY}, aud) AS pref_published
              FROM noted n SEMI JOIN contested USING ({_KEY}, aud))
        WHERE preferred OR published OR NOT pref_published
        QUALIFY row_number() OVER (PARTITION BY {_KEY}, aud
                                   ORDER BY len(quality) > 0, NOT preferred, lower_bound, approx, value_id DESC) = 1"""
                .replace("$demoted", "'" + _DEMOTED.replace("'", "''") + "'"))  # a view takes no parameters
    # A split key whose two audiences chose the same value is one row for all again.
    con.execute(f"""
        CREATE TEMP VIEW checked AS
        SELECT * FROM elected WHERE aud = 'all'
        UNION ALL
        SELECT * EXCLUDE (same) REPLACE (CASE WHEN same THEN 'all'::aud_t ELSE aud END AS aud)
        FROM (SELECT *, count(*) OVER w = 2 AND min(value_id) OVER w = max(value_id) OVER w AS same
              FROM elected WHERE aud <> 'all' WINDOW w AS (PARTITION BY {_KEY}))
        WHERE NOT (same AND aud = 'public')""")
    con.execute("CREATE TEMP TABLE derived AS SELECT * FROM checked LIMIT 0")
    con.execute("CREATE TEMP VIEW work AS SELECT * FROM checked UNION ALL SELECT * FROM derived")
    say("totals from parts")
    # A total that was not reported is the sum of its parts along one dimension (the first by name). A figure
    # restated on a later coverage (disaggregation scope=…) is not a part of anything.
    parts = "work c"
    parts_where = "c.disagg <> '' AND NOT starts_with(c.disagg::VARCHAR, 'scope=')"
    split_totals = (f"SELECT DISTINCT indicator, org_unit, period FROM work c WHERE {parts_where} AND aud <> 'all' "
                    "UNION SELECT indicator, org_unit, period FROM work WHERE disagg = '' AND aud <> 'all'")
    sums = split_aggregate(
        "c.indicator, c.org_unit, c.period, split_part(c.disagg, '=', 1) AS dim, sum(c.value) AS v, "
        "bool_or(c.lower_bound) AS lb, bool_or(c.approx) AS ax, bool_and(c.published) AS pub, bool_or(c.demo) AS dm, "
        f"min(c.scope) AS sc, {_CARRY.format(q='c.quality', n=_MAX_NOTES)} AS qu",
        parts, parts_where, "c.indicator, c.org_unit, c.period, dim", split_totals,
        "sp.indicator = c.indicator AND sp.org_unit = c.org_unit AND sp.period = c.period")
    con.execute(f"""
        INSERT INTO derived BY NAME
        SELECT t.* FROM (
            SELECT indicator, org_unit, period, ''::disagg_t AS disagg, v AS value, lb AS lower_bound,
                   ax AS approx, 'parts' AS origin, FALSE AS incomplete, pub AS published, dm AS demo, sc AS scope,
                   NULL::BIGINT AS value_id, NULL::BIGINT AS source_id, qu AS quality, aud
            FROM ({sums})
            QUALIFY row_number() OVER (PARTITION BY indicator, org_unit, period, aud ORDER BY dim) = 1
        ) t ANTI JOIN (SELECT indicator, org_unit, period, aud FROM work WHERE disagg = '') w
              ON w.indicator = t.indicator AND w.org_unit = t.org_unit AND w.period = t.period
             AND (w.aud = 'all' OR w.aud = t.aud)""")
    # What units with parts reported themselves: their own figure wins over any sum (in its audience).
    con.execute(f"""CREATE TEMP TABLE own AS SELECT DISTINCT {_KEY}, aud FROM work
                    WHERE org_unit IN (SELECT code FROM n_children UNION ALL SELECT code FROM n_members)""")
    carry = _CARRY.format(q="c.quality", n=_MAX_NOTES)
    for level in (3, 2, 1):
        say(f"sums to level {level - 1}")
        con.execute(_rollup("u.parent", "units u ON u.code = c.org_unit", "n_children", f"u.level = {level}", carry))
    say("sums to groups")
    con.execute(_rollup("m.grp", "members m ON m.member = c.org_unit", "n_members", "TRUE", carry))
    say("writing the cube")
    # Sorted by indicator and period so that a query reads only the row groups it needs.
    con.execute("CREATE TABLE cube AS SELECT * FROM work ORDER BY indicator, period")
    con.execute("DROP VIEW work")
    con.execute("DROP TABLE derived")
    # The periods each audience can see, for lists and defaults (an unpublished month must not show in them).
    con.execute("CREATE TABLE visible_periods AS SELECT DISTINCT period::VARCHAR AS period, aud FROM cube")


def build_cube(facts: pa.Table, sources: pa.Table, target: Path, catalog: Catalog, tree: OrgUnitTree,
               say: Progress = lambda _msg: None, applied_change: int = 0) -> int:
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
        # Which build this is and the last change of the store it includes: the platform compares it with the
        # store's change log to know whether the analytics are behind (after a crash, too).
        con.execute("CREATE TABLE build AS SELECT $id AS build_id, now() AS built_at, "
                    "$change::BIGINT AS applied_change", {"id": uuid.uuid4().hex[:12], "change": applied_change})
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
    # Read before the facts: a change committed in between is then in the facts but not counted as applied,
    # which costs at most one more build, never a missed change.
    with store.connect() as conn:
        applied = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM change_log")).scalar_one())
    facts = export_facts(store.url)
    sources = export_sources(store)
    t_export = time.perf_counter() - t0
    n_cube = build_cube(facts, sources, target, catalog, tree, say, applied)
    return {"facts": float(facts.num_rows), "cube": float(n_cube), "export_s": t_export,
            "total_s": time.perf_counter() - t0}
