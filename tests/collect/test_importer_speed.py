"""What the import's speed-ups must not change: the preferred value of every key (elected at insert for keys
seen for the first time), the rows written by the driver's executemany, and the garbage collector's state."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.builders import platform
from yangfan.collect.importer import collector_paused
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow
from yangfan.store.repository import _insert_values, elect_preferred, write_batch
from yangfan.store.values import NewValue

UNITS = ["440000", "440100", "440300"]
SOURCES = ["https://example.org/a", "https://example.org/b"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    return platform(tmp_path_factory.mktemp("speed"))


def _flags(y: Yangfan) -> dict[int, tuple[bool, bool]]:
    with session_scope(y.engine) as s:
        return {r.id: (r.is_current, r.preferred) for r in s.scalars(select(DataValueRow))}


def _elected(y: Yangfan) -> dict[int, tuple[bool, bool]]:
    """The flags as ``elect_preferred`` over every key decides them (rolled back: the store is not changed)."""
    with y.engine.connect() as connection:
        from sqlalchemy.orm import Session

        session = Session(bind=connection)
        keys = {(r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation)
                for r in session.scalars(select(DataValueRow))}
        elect_preferred(session, keys)
        flags = {r.id: (r.is_current, r.preferred) for r in session.scalars(select(DataValueRow))}
        session.rollback()
        return flags


value = st.builds(lambda unit, month, op, source, number, qualifier: NewValue(
    "bs_5g", unit, f"2025-{month:02d}", float(number), f"operator={op}" if op else "", qualifier,
    source_kind="import", source_title="t", source_url=source),
    st.sampled_from(UNITS), st.integers(1, 3), st.sampled_from(["", "cmcc"]), st.sampled_from(SOURCES),
    st.integers(1, 3), st.sampled_from(["exact", "approx"]))
batch = st.tuples(st.lists(value, max_size=8, unique_by=lambda v: (*v.key, v.source_url)),
                  st.sampled_from(["submitted", "approved", "published"]))
_digests = iter(range(10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(batch, min_size=1, max_size=4))
def test_every_key_keeps_the_preferred_value_elect_preferred_would_choose(
        store: Yangfan, batches: list[tuple[list[NewValue], str]]) -> None:
    for values, status in batches:
        with session_scope(store.engine) as s:
            write_batch(s, "f.csv", f"digest-{next(_digests)}", values, status=status)  # type: ignore[arg-type]
        assert _flags(store) == _elected(store)


def test_rows_left_to_a_python_default_go_through_core(tmp_path: Path) -> None:
    y = platform(tmp_path)
    with session_scope(y.engine) as s:
        write_batch(s, "f.csv", "first", [NewValue("bs_5g", "440000", "2025-06", 1.0)])
        row = s.scalars(select(DataValueRow)).one()
        columns = ("indicator_code", "org_unit_code", "period_code", "value", "source_id", "status")
        _insert_values(s, columns, [("bs_5g", "440100", "2025-06", 2.0, row.source_id, "approved")])
        added = s.scalars(select(DataValueRow).where(DataValueRow.org_unit_code == "440100")).one()
        assert (added.disaggregation, added.qualifier, added.version, added.note, added.preferred) == (
            "", "exact", 1, "", False)


def test_the_collector_is_paused_only_by_whoever_paused_it() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # a second import alongside: it finds the collector off and leaves it so
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a refused file")
    assert gc.isenabled()
