"""Imports into the store, on SQLite and on a real PostgreSQL server: all-or-nothing, idempotent, versioned."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.builders import good_rows, platform, write_import
from yangfan.collect.importer import import_csv
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow, ImportBatchRow
from yangfan.store.repository import history


@pytest.fixture
def y(tmp_path: Path, store_url: str) -> Yangfan:
    return platform(tmp_path, store_url)


def _count(y: Yangfan) -> int:
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).select_from(DataValueRow)) or 0)


def _import(y: Yangfan, path: Path):  # type: ignore[no-untyped-def]
    return import_csv(y.engine, path, y.catalog, y.tree)


def test_import_converts_units_and_is_idempotent(y: Yangfan, tmp_path: Path) -> None:
    f = write_import(tmp_path / "a.csv", good_rows())
    first = _import(y, f)
    assert (first.inserted, first.revised, first.repeated) == (3, 0, False)
    again = _import(y, f)
    assert again.repeated and _count(y) == 3
    with session_scope(y.engine) as s:
        row = s.scalars(select(DataValueRow).where(DataValueRow.org_unit_code == "440000",
                                                   DataValueRow.indicator_code == "bs_5g")).one()
        assert row.value == 352_000 and row.status == "approved" and row.source_row == 2


def test_revision_keeps_history(y: Yangfan, tmp_path: Path) -> None:
    _import(y, write_import(tmp_path / "a.csv", good_rows()))
    rows = good_rows()
    rows[0]["value"] = "35.4"
    result = import_csv(y.engine, write_import(tmp_path / "a.csv", rows), y.catalog, y.tree)
    assert (result.inserted, result.revised, result.unchanged) == (0, 1, 2)
    with session_scope(y.engine) as s:
        versions = history(s, "bs_5g", "440000", "2025-06")
        assert [(v.version, v.value, v.is_current) for v in versions] == [(1, 352_000, False), (2, 354_000, True)]
        assert sum(v.preferred for v in versions) == 1 and versions[1].preferred


@pytest.mark.parametrize("change,field,code", [
    ({"org_unit": "449999"}, "org_unit", "row.org_unit"),
    ({"period": "2025-13"}, "period", "period.invalid"),
    ({"value": "三十五"}, "value", "row.value"),
    ({"indicator": ""}, "indicator", "row.missing"),
    ({"indicator": "bs_5g_per_10k"}, "indicator", "row.derived"),
    ({"unit": "千个"}, "unit", "row.unit"),
    ({"period": "2025Q2"}, "period", "row.period_type"),
])
def test_bad_row_rejects_the_whole_file(y: Yangfan, tmp_path: Path, change: dict[str, str], field: str,
                                        code: str) -> None:
    rows = good_rows()
    rows[2].update(change)
    with pytest.raises(YangfanError) as exc:
        _import(y, write_import(tmp_path / "bad.csv", rows))
    issue = exc.value.issues[0]
    assert (issue.location.file, issue.location.row, issue.location.field, issue.code) == ("bad.csv", 4, field, code)
    assert issue.message_zh and issue.message_en
    assert _count(y) == 0
    with session_scope(y.engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatchRow)) == 0


def test_duplicate_value_in_a_file_is_refused(y: Yangfan, tmp_path: Path) -> None:
    rows = good_rows() + [dict(good_rows()[1])]
    with pytest.raises(YangfanError) as exc:
        _import(y, write_import(tmp_path / "dup.csv", rows))
    issue = exc.value.issues[0]
    assert issue.code == "row.duplicate" and issue.location.row == 5 and "3" in issue.message_en
    assert _count(y) == 0


def test_every_problem_of_a_file_is_reported_at_once(y: Yangfan, tmp_path: Path) -> None:
    rows = good_rows()
    rows[0]["value"] = "x"
    rows[1]["org_unit"] = "000001"
    with pytest.raises(YangfanError) as exc:
        _import(y, write_import(tmp_path / "bad.csv", rows))
    assert [(i.location.row, i.location.field) for i in exc.value.issues] == [(2, "value"), (3, "org_unit")]


def test_conflicting_sources_are_kept_with_one_preferred(y: Yangfan, tmp_path: Path) -> None:
    a = [{"indicator": "bs_5g", "org_unit": "100000", "period": "2024-12", "value": "425", "unit": "万个",
          "source_url": "https://example.org/a"}]
    b = [{**a[0], "value": "425.1", "source_url": "https://example.org/b", "qualifier": "exact"}]
    c = [{**a[0], "value": "420", "source_url": "https://example.org/c", "qualifier": "lower_bound"}]
    for name, rows in (("a.csv", a), ("b.csv", b), ("c.csv", c)):
        _import(y, write_import(tmp_path / name, rows))
    with session_scope(y.engine) as s:
        rows_ = history(s, "bs_5g", "100000", "2024-12")
        assert len(rows_) == 3
        preferred = [r for r in rows_ if r.preferred]
        assert len(preferred) == 1 and preferred[0].value == 4_251_000  # exact beats lower bound; latest wins a tie


def test_history_loads_on_this_store(y: Yangfan) -> None:
    results = y.load_history()
    assert sum(r.inserted for r in results.values()) > 500
    assert all(r.repeated for r in y.load_history().values())
