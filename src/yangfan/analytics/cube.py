"""Build the analytics table: released data values rolled up over org units, in DuckDB.

The store keeps what was reported; the cube adds, for every summable indicator, the sums over
the org-unit tree (county → prefecture → province → nation, provinces → groups) wherever a unit
did not report a figure of its own. A reported figure always wins over a computed sum. Totals
missing beside reported parts (operators, …) are the sum of the parts. Time is left at the
native periods: queries combine periods by the rules in ``timerules``.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, text

from yangfan.analytics import snapshots
from yangfan.analytics.export import export_facts
from yangfan.analytics.quality import RULES, check
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
#: Builds of fewer facts than this copy the checked values into a table rather than read them through views.
MATERIALISE_BELOW = 2_000_000
#: The years an ENUM of periods covers besides those of the facts (see ``calendar``).
FIRST_YEAR, LAST_YEAR = 2000, 2040
#: Bumped when the cube's layout or rules of computation change: an incremental build never writes into a build
#: made by other rules (``recipe``).
CUBE_FORMAT = 5


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


def calendar() -> set[str]:
    """Every year, quarter and month the platform can hold: a new month then fits the period type of an
    existing build, which an incremental build writes into."""
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    return ({str(y) for y in years} | {f"{y}Q{q}" for y in years for q in range(1, 5)}
            | {f"{y}-{m:02d}" for y in years for m in range(1, 13)})


def _key_types(con: duckdb.DuckDBPyConnection, tables: list[pa.Table], catalog: Catalog, tree: OrgUnitTree) -> None:
    """ENUM types for the key columns: joins, groups and sorts on small integers, in code order."""
    def distinct(column: str) -> set[str]:
        return {""} | {v for t in tables for v in pc.unique(t[column].cast(pa.string())).to_pylist()}

    con.execute(f"CREATE TYPE aud_t AS ENUM {AUDIENCES}")
    values = {"indicator_t": sorted(catalog.indicators), "period_t": sorted(distinct("period") | calendar()),
              "unit_t": sorted([u.code for u in tree.units.values()] + list(tree.groups)),
              "disagg_t": sorted(distinct("disagg")), "scope_t": sorted(distinct("scope"))}
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


def build_rows(con: duckdb.DuckDBPyConnection, facts: pa.Table, catalog: Catalog, tree: OrgUnitTree,
           say: Progress = lambda _msg: None, extras: pa.Table | None = None) -> None:
    """The cube of ``facts`` into table ``cube`` of ``con``.

    An incremental build (``incremental``) passes besides the facts it recomputes: facts marked ``context``, which
    only the consistency checks read (the month before, the part of a whole), and ``extras``, cube rows of the
    blocks and provinces it leaves alone, which the sums above them add in as they are.
    """
    # Intermediate tables are TEMP (in memory, spilling if needed): only the final cube is written to the file.
    _key_types(con, [facts] + ([extras] if extras is not None else []), catalog, tree)
    _reference_tables(con, catalog, tree)
    context = "context" if "context" in facts.column_names else "FALSE"
    say("reported values")
    # A source whose kind starts with 'demo' (the demo's apportioned figures, the demo's returns) is demo data.
    con.execute(f"""
        CREATE TEMP TABLE facts AS
        SELECT indicator::indicator_t AS indicator, org_unit::unit_t AS org_unit, period::period_t AS period,
               disagg::disagg_t AS disagg, value, qualifier = 'lower_bound' AS lower_bound,
               qualifier = 'approx' AS approx, 'reported' AS origin, FALSE AS incomplete,
               status = 'published' AS published,
               source_id IN (SELECT id FROM sources WHERE starts_with(kind, 'demo')) AS demo,
               scope::scope_t AS scope, value_id, source_id, preferred, priority, {context} AS context
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
    con.execute("CREATE TEMP VIEW candidates AS SELECT * EXCLUDE (aud, context) FROM audienced WHERE aud <> 'public'")
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
        SELECT c.* EXCLUDE (context), coalesce(q.notes, []::VARCHAR[]) AS quality
        FROM audienced c LEFT JOIN notes q USING (value_id) WHERE NOT c.context""")
    # Only keys that some other source also gives need an election (few): the rest pass as they are.
    con.execute(f"CREATE TEMP TABLE contested AS SELECT DISTINCT {_KEY}, aud FROM audienced "
                "WHERE NOT preferred AND NOT context")
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
    # A split key whose two audiences chose the same value is one row for all again. The sums read these rows
    # five times: a few (an incremental build's) are copied once; the nation's millions are read through views.
    kind = "TABLE" if facts.num_rows <= MATERIALISE_BELOW else "VIEW"
    con.execute(f"""
        CREATE TEMP {kind} checked AS
        SELECT * FROM elected WHERE aud = 'all'
        UNION ALL
        SELECT * EXCLUDE (same) REPLACE (CASE WHEN same THEN 'all'::aud_t ELSE aud END AS aud)
        FROM (SELECT *, count(*) OVER w = 2 AND min(value_id) OVER w = max(value_id) OVER w AS same
              FROM elected WHERE aud <> 'all' WINDOW w AS (PARTITION BY {_KEY}))
        WHERE NOT (same AND aud = 'public')""")
    con.execute("CREATE TEMP TABLE derived AS SELECT * FROM checked LIMIT 0")
    con.execute("CREATE TEMP VIEW work AS SELECT * FROM checked UNION ALL SELECT * FROM derived")
    if extras is not None:
        con.register("extras_arrow", extras)
        con.execute("""INSERT INTO derived BY NAME SELECT * REPLACE (
                           indicator::VARCHAR::indicator_t AS indicator, org_unit::VARCHAR::unit_t AS org_unit,
                           period::VARCHAR::period_t AS period, disagg::VARCHAR::disagg_t AS disagg,
                           scope::VARCHAR::scope_t AS scope, aud::VARCHAR::aud_t AS aud)
                       FROM extras_arrow""")
    say("totals from parts")
    # A total that was not reported is the sum of its parts along one dimension (the first by name). A figure
    # restated on a later coverage (disaggregation scope=…) is not a part of anything. The operators' figures
    # make a complete total only when every operator's is there (an operator's missing return leaves the
    # province's total, and every sum above it, incomplete).
    parts = "work c"
    parts_where = "c.disagg <> '' AND NOT starts_with(c.disagg::VARCHAR, 'scope=')"
    split_totals = (f"SELECT DISTINCT indicator, org_unit, period FROM work c WHERE {parts_where} AND aud <> 'all' "
                    "UNION SELECT indicator, org_unit, period FROM work WHERE disagg = '' AND aud <> 'all'")
    sums = split_aggregate(
        "c.indicator, c.org_unit, c.period, split_part(c.disagg, '=', 1) AS dim, sum(c.value) AS v, "
        "count(DISTINCT c.disagg) AS n, bool_or(c.incomplete) AS inc, "
        "bool_or(c.lower_bound) AS lb, bool_or(c.approx) AS ax, bool_and(c.published) AS pub, bool_or(c.demo) AS dm, "
        f"min(c.scope) AS sc, {_CARRY.format(q='c.quality', n=_MAX_NOTES)} AS qu",
        parts, parts_where, "c.indicator, c.org_unit, c.period, dim", split_totals,
        "sp.indicator = c.indicator AND sp.org_unit = c.org_unit AND sp.period = c.period")
    operators = sum(1 for u in tree.units.values() if u.kind == "operator")
    con.execute(f"""
        INSERT INTO derived BY NAME
        SELECT t.* FROM (
            SELECT indicator, org_unit, period, ''::disagg_t AS disagg, v AS value, lb AS lower_bound,
                   ax AS approx, 'parts' AS origin, inc OR (dim = 'operator' AND n < {operators}) AS incomplete,
                   pub AS published, dm AS demo, sc AS scope,
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
    # The values the checks judged by (each key's preferred released value): an incremental build reads the
    # month before and the other side of a check from here rather than from the store.
    # Only what the checks read of a neighbour: the copy of a snapshot grows with every column kept here.
    con.execute("""CREATE TABLE reported_values AS
                   SELECT indicator, org_unit, period, disagg, value, lower_bound, approx, demo
                   FROM audienced WHERE aud <> 'public' AND preferred AND NOT context ORDER BY indicator, period""")
    # Sorted by indicator and period so that a query reads only the row groups it needs.
    con.execute("CREATE TABLE cube AS SELECT * FROM work ORDER BY indicator, period")
    con.execute("DROP VIEW work")
    con.execute("DROP TABLE derived")
    # The periods each audience can see, for lists and defaults (an unpublished month must not show in them).
    con.execute("CREATE TABLE visible_periods AS SELECT DISTINCT period::VARCHAR AS period, aud FROM cube")


def recipe(catalog: Catalog, tree: OrgUnitTree) -> str:
    """A fingerprint of everything besides the facts that a cell depends on: the indicators' rules of
    aggregation, the org-unit tree and its groups, the consistency rules and the cube's format. A build made
    by another recipe is rebuilt in full rather than patched."""
    digest = hashlib.sha256(f"cube {CUBE_FORMAT}\n".encode())
    for code, ind in sorted(catalog.indicators.items()):
        digest.update(f"{code} {ind.kind} {ind.org_aggregation} {ind.period_type} {ind.time_aggregation} "
                      f"{ind.display_divisor} {ind.decimals}\n".encode())
    for u in sorted(tree.units.values(), key=lambda u: u.code):
        digest.update(f"{u.code} {u.parent} {u.level}\n".encode())
    for g, m in sorted(tree.group_memberships()):
        digest.update(f"{g} {m}\n".encode())
    digest.update(RULES.read_bytes())
    return digest.hexdigest()[:16]


def write_build_row(con: duckdb.DuckDBPyConnection, *, applied_change: int, as_of: datetime | None, kind: str,
                    since_full: int, recipe_id: str) -> str:
    """The ``build`` table of a snapshot: its id, when it was made, the last change of the store it includes
    (the platform compares it with the store's change log to know whether the analytics are behind, after a
    crash too) and when that change was committed."""
    build_id = uuid.uuid4().hex[:12]
    con.execute("CREATE OR REPLACE TABLE build AS SELECT $id AS build_id, now()::TIMESTAMP AS built_at, "
                "$change::BIGINT AS applied_change, $as_of::TIMESTAMP AS as_of, $kind AS kind, "
                "$since::INTEGER AS since_full, $recipe AS recipe",
                {"id": build_id, "change": applied_change, "as_of": as_of, "kind": kind, "since": since_full,
                 "recipe": recipe_id})
    return build_id


def build_cube(facts: pa.Table, sources: pa.Table, target: Path, catalog: Catalog, tree: OrgUnitTree,
               say: Progress = lambda _msg: None, applied_change: int = 0, as_of: datetime | None = None) -> int:
    """Write the analytics file for these facts, atomically (readers never see half a cube); returns its size."""
    with snapshots.writing(target) as con:
        con.register("facts_arrow", facts)
        con.register("sources_arrow", sources)
        con.execute("CREATE TABLE sources AS SELECT * FROM sources_arrow")
        build_rows(con, facts, catalog, tree, say)
        write_build_row(con, applied_change=applied_change, as_of=as_of, kind="full", since_full=0,
                        recipe_id=recipe(catalog, tree))
        n_cube = int(con.execute("SELECT count(*) FROM cube").fetchall()[0][0])
    return n_cube


def last_change(conn: Connection) -> tuple[int, datetime | None]:
    """The store's latest change: its id (0 when none) and when it was committed."""
    row = conn.execute(text("SELECT id, at FROM change_log ORDER BY id DESC LIMIT 1")).first()
    return (0, None) if row is None else (int(row[0]), timestamp(row[1]))


def timestamp(value: object) -> datetime | None:
    """A time read from the store (SQLite returns text for a server-side default)."""
    return value if isinstance(value, datetime) or value is None else datetime.fromisoformat(str(value))


def rebuild(store: Engine, target: Path, catalog: Catalog, tree: OrgUnitTree,
            say: Progress = lambda _msg: None) -> dict[str, float]:
    """Rebuild the analytics file from the store; returns timings and row counts."""
    t0 = time.perf_counter()
    say("exporting released values from the store")
    # Read before the facts: a change committed in between is then in the facts but not counted as applied,
    # which costs at most one more build, never a missed change.
    with store.connect() as conn:
        applied, as_of = last_change(conn)
    facts = export_facts(store.url)
    sources = export_sources(store)
    t_export = time.perf_counter() - t0
    n_cube = build_cube(facts, sources, target, catalog, tree, say, applied, as_of)
    return {"facts": float(facts.num_rows), "cube": float(n_cube), "export_s": t_export,
            "total_s": time.perf_counter() - t0}
