"""Coverage (口径) is an attribute of an indicator and a period, declared in the catalog, checked on import."""

from __future__ import annotations

import csv
import io

import pytest

from yangfan.catalog import get_catalog
from yangfan.collect.importer import read_csv_rows
from yangfan.collect.published import FILES, FOLDER
from yangfan.collect.rows import validate_rows
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import get_tree

CATALOG = get_catalog()
TREE = get_tree()


def _values(*rows: dict[str, str]):  # type: ignore[no-untyped-def]
    return validate_rows(rows, CATALOG, TREE, "t.csv")


def _refused(*rows: dict[str, str]) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(YangfanError) as exc:
        _values(*rows)
    return [(i.location.row, i.location.field, i.code) for i in exc.value.issues]


def test_the_catalog_fills_the_coverage_of_each_period() -> None:
    v = _values({"indicator": "users_5g_mobile_phone", "org_unit": "100000", "period": "2023-12", "value": "1"},
                {"indicator": "users_5g_mobile_phone", "org_unit": "100000", "period": "2024-01", "value": "1"},
                {"indicator": "bs_5g", "org_unit": "100000", "period": "2024-01", "value": "1"})
    assert [x.scope for x in v] == ["basic_3", "basic_4", ""]


def test_base_stations_were_not_restated_so_carry_no_scope() -> None:
    assert _refused({"indicator": "bs_5g", "org_unit": "100000", "period": "2024-01", "value": "1",
                     "scope": "basic_4"}) == [(2, "scope", "row.scope_none")]


def test_a_scope_of_another_era_is_refused() -> None:
    issues = _refused({"indicator": "users_mobile_phone", "org_unit": "100000", "period": "2023-06", "value": "1",
                       "scope": "basic_4"})
    assert issues == [(2, "scope", "row.scope")]


def test_a_restatement_on_the_later_coverage_is_its_own_figure() -> None:
    v = _values({"indicator": "users_5g_mobile_phone", "org_unit": "100000", "period": "2023-12", "value": "8.22",
                 "unit": "亿户", "disaggregation": "scope=basic_4"})
    assert (v[0].scope, v[0].disaggregation) == ("basic_4", "scope=basic_4")
    assert _refused({"indicator": "users_5g_mobile_phone", "org_unit": "100000", "period": "2023-12", "value": "1",
                     "disaggregation": "scope=basic_9"}) == [(2, "disaggregation", "row.scope_restated")]


@pytest.mark.parametrize("name", FILES)
def test_every_shipped_history_row_has_the_catalogs_coverage(name: str) -> None:
    rows = read_csv_rows((FOLDER / name).read_bytes(), name)
    assert validate_rows(rows, CATALOG, TREE, name)


def test_a_history_file_with_a_scope_on_the_wrong_indicator_names_the_row() -> None:
    text = (FOLDER / "national.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    n = next(i for i, r in enumerate(rows) if r["indicator"] == "bs_5g")
    rows[n]["scope"] = "basic_3"
    with pytest.raises(YangfanError) as exc:
        validate_rows(rows, CATALOG, TREE, "national.csv")
    assert [(i.location.file, i.location.row, i.location.field) for i in exc.value.issues] == [
        ("national.csv", n + 2, "scope")]
