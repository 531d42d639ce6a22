"""Incremental builds equal full builds, cell for cell, whatever the history and the changes.

Each example writes a random history into a real store (several levels, operators, sources of different
priority, approximate and lower-bound values, published and approved-not-published values, jumps and parts above
their wholes that the consistency checks flag), builds the analytics in full, applies a random sequence of
changes (imports, approvals, publications) incrementally, and compares the result with a full build of the same
store: every cell, every audience, every quality note, and the periods each audience sees.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.builders import platform
from yangfan.analytics import cube
from yangfan.analytics.incremental import update
from yangfan.analytics.query import Query
from yangfan.context import Yangfan
from yangfan.settings import Settings
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow
from yangfan.store.repository import write_batch
from yangfan.store.review import review
from yangfan.store.values import NewValue

# A province with a city and a county, one with two cities and their counties, another province alone, the
# nation and the four regions.
UNITS = ["110000", "110100", "110101", "130000", "130100", "130102", "130200", "130203", "440000", "100000",
         "east", "central", "west", "northeast"]
# A monthly stock with its whole (parts rule, implied whole), and the share behind the implied whole.
INDICATORS = ["bs_5g", "bs_mobile_total", "bs_5g_share_published", "users_5g_mobile_phone", "users_mobile_phone"]
# 2024-11 and 2025-12 are 13 months apart: the "fell against a rising year" check links them.
PERIODS = ["2024-11", "2024-12", "2025-01", "2025-11", "2025-12"]
DISAGGS = ["", "operator=cmcc", "operator=ctcc"]
# Shrinking a failure takes minutes (each example builds three cubes): YANGFAN_NO_SHRINK=1 skips it while debugging.
PHASES = [p for p in Phase if p != Phase.shrink or not os.environ.get("YANGFAN_NO_SHRINK")]
# Two reporting sources of different priority, and demo values (演示数据), which the monthly checks skip.
SOURCES = [("import", "报送", 0), ("import", "核查", 5), ("demo", "演示数据", 0)]

value = st.tuples(st.sampled_from(INDICATORS), st.sampled_from(UNITS), st.sampled_from(PERIODS),
                  st.sampled_from(DISAGGS), st.sampled_from([100.0, 120.0, 150.0, 400.0, 90.0, 1000.0]),
                  st.sampled_from(["exact", "exact", "exact", "approx", "lower_bound"]), st.sampled_from([0, 1, 2]))
batch = st.tuples(st.just("import"), st.lists(value, min_size=1, max_size=12, unique_by=lambda v: v[:4]),
                  st.sampled_from(["published", "approved", "submitted"]))
action = st.one_of(batch, st.tuples(st.sampled_from(["approve", "publish"]), st.integers(1, 4)))


def _values(rows: list[tuple[str, str, str, str, float, str, int]]) -> list[NewValue]:
    out = []
    for i, u, p, d, v, q, s in rows:
        kind, title, priority = SOURCES[s]
        out.append(NewValue(i, u, p, v, d, q, priority=priority, source_kind=kind, source_title=title))  # type: ignore[arg-type]
    return out


def _apply(y: Yangfan, step: tuple[object, ...], n: int) -> None:
    with session_scope(y.engine) as s:
        if step[0] == "import":
            write_batch(s, f"b{n}.csv", f"digest-{n}", _values(step[1]), status=step[2])  # type: ignore[arg-type]
            return
        action, k = step
        before = "submitted" if action == "approve" else "approved"
        ids = [r.id for r in s.query(DataValueRow).filter_by(status=before, is_current=True)
               .order_by(DataValueRow.id).limit(int(k))]  # type: ignore[call-overload]
        if ids:
            review(s, "reviewer", ids, action, lambda _r: True, four_eyes=False)  # type: ignore[arg-type]


def _cube(path: Path) -> tuple[list[tuple[object, ...]], ...]:
    """The cube, the periods each audience sees and the values the checks judged by, comparable across builds."""
    with duckdb.connect(str(path), read_only=True) as con:
        judged = sorted(con.execute("SELECT * REPLACE (indicator::VARCHAR AS indicator, org_unit::VARCHAR AS "
                                    "org_unit, period::VARCHAR AS period, disagg::VARCHAR AS disagg) "
                                    "FROM reported_values").fetchall(), key=repr)
        cols = [c[0] for c in con.execute("DESCRIBE cube").fetchall()]
        select = ", ".join("list_sort(quality)" if c == "quality" else f"{c}::VARCHAR" if c.endswith(
            ("indicator", "org_unit", "period", "disagg", "scope", "aud")) else c for c in cols)
        cells = sorted(con.execute(f"SELECT {select} FROM cube").fetchall(), key=repr)
        periods = sorted(con.execute("SELECT period, aud::VARCHAR FROM visible_periods").fetchall())
    return cells, periods, judged


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    y = platform(tmp_path_factory.mktemp("template"))
    # Every disaggregation once, far from the cells under test: a build whose ENUMs lack a new disaggregation
    # is rebuilt in full (rightly), which would leave the incremental path untested.
    with session_scope(y.engine) as s:
        write_batch(s, "seed.csv", "seed", [NewValue("bs_5g", "650000", "2020-01", 1.0, d) for d in DISAGGS],
                    status="published")
    y.engine.dispose()
    return Path(y.settings.store_url.removeprefix("sqlite:///"))


@settings(max_examples=int(os.environ.get("YANGFAN_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=PHASES)
@given(history=st.lists(batch, min_size=1, max_size=3), changes=st.lists(action, min_size=1, max_size=4),
       one_by_one=st.booleans())
def test_an_incremental_build_equals_a_full_build(template: Path, tmp_path_factory: pytest.TempPathFactory,
                                                  history: list[tuple[object, ...]],
                                                  changes: list[tuple[object, ...]], one_by_one: bool) -> None:
    work = tmp_path_factory.mktemp("incremental")
    shutil.copyfile(template, work / "yangfan.sqlite")
    y = Yangfan(Settings(data_dir=work))
    for n, step in enumerate(history):
        _apply(y, step, n)
    y.rebuild()
    kinds: list[dict[str, float] | None] = []
    said: list[str] = []
    for n, step in enumerate(changes, start=len(history)):
        _apply(y, step, n)
        if one_by_one:  # each change applied on its own, or all of them together by one build
            kinds.append(update(y.engine, y.settings.analytics_path, y.catalog, y.tree, said.append,
                                full_above=math.inf))
    kinds.append(update(y.engine, y.settings.analytics_path, y.catalog, y.tree, said.append, full_above=math.inf))
    full = work / "full.duckdb"
    cube.rebuild(y.engine, full, y.catalog, y.tree)
    assert _cube(y.settings.analytics_path) == _cube(full)
    assert not y.behind()
    # The builds were incremental (a full one would pass trivially), except where nothing was released.
    assert all(k is None or k["kind"] == 1.0 for k in kinds), [m for m in said if m.startswith("full")]
    y.engine.dispose()


@pytest.mark.parametrize("spread", ["one province", "every province"])
def test_an_incremental_build_equals_a_full_build_on_either_store(tmp_path: Path, store_url: str,
                                                                  spread: str) -> None:
    """Both read paths (a few provinces on the store's connection; many through ADBC, with the last change read
    in the same transaction), on SQLite and on PostgreSQL."""
    y = platform(tmp_path, store_url)
    provinces = [u.code for u in y.tree.at_level(1)]
    with session_scope(y.engine) as s:
        write_batch(s, "may.csv", "may", [NewValue("bs_5g", p, "2025-05", 1000.0 + i, "operator=cmcc")
                                          for i, p in enumerate(provinces)], status="published")
    y.rebuild()
    changed = provinces[:1] if spread == "one province" else provinces
    with session_scope(y.engine) as s:
        write_batch(s, "jun.csv", "jun", [NewValue("bs_5g", p, "2025-06", 2000.0 + i, "operator=cmcc")
                                          for i, p in enumerate(changed)], status="approved")
    done = update(y.engine, y.settings.analytics_path, y.catalog, y.tree, full_above=math.inf)  # a tiny cube
    assert done is not None and done["kind"] == 1.0 and done["facts"] >= len(changed)
    full = tmp_path / "full.duckdb"
    cube.rebuild(y.engine, full, y.catalog, y.tree)
    assert _cube(y.settings.analytics_path) == _cube(full)
    cmcc = y.query(Query.parse(["bs_5g"], ["100000"], ["2025-06"], "operator=cmcc"))[0]
    if spread == "every province":
        assert cmcc.value == sum(2000.0 + i for i in range(len(changed)))
    # One operator of four is not the total: the nation's and each province's totals stay empty.
    assert y.query(Query.parse(["bs_5g"], ["100000", provinces[0]], ["2025-06"]))[0].value is None
    y.engine.dispose()
