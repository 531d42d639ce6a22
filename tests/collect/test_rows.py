"""Row validation and the CSV parser: property tests and the unit/validity checks."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yangfan.catalog import get_catalog
from yangfan.collect.importer import read_csv_rows
from yangfan.collect.rows import unit_factor, validate_rows
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import NATION, OrgUnit, OrgUnitTree, get_tree

CATALOG = get_catalog()
MONTHLY_SUMMABLE = sorted(c for c, i in CATALOG.indicators.items()
                          if i.kind == "raw" and i.period_type == "month" and i.org_aggregation == "sum")

rows_strategy = st.lists(
    st.fixed_dictionaries({
        "indicator": st.sampled_from(MONTHLY_SUMMABLE),
        "org_unit": st.sampled_from(["100000", "440000", "440300", "110101", "east"]),
        "period": st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2019, 2030), st.integers(1, 12)),
        "value": st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str),
        "disaggregation": st.sampled_from(["", "operator=cmcc", "operator=cbn"]),
    }),
    min_size=1, max_size=30, unique_by=lambda r: (r["indicator"], r["org_unit"], r["period"], r["disaggregation"]),
)


def to_csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, ["indicator", "org_unit", "period", "value", "disaggregation"])
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


@given(rows_strategy)
def test_valid_rows_round_trip_through_csv(rows: list[dict[str, str]]) -> None:
    values = validate_rows(read_csv_rows(to_csv(rows), "f.csv"), CATALOG, get_tree(), "f.csv")
    assert [(v.indicator, v.org_unit, v.period, v.disaggregation) for v in values] == [
        (r["indicator"], r["org_unit"], r["period"], r["disaggregation"]) for r in rows]
    assert [Decimal(str(v.value)) for v in values] == [Decimal(r["value"]) for r in rows]
    assert [v.source_row for v in values] == list(range(2, len(rows) + 2))


@given(st.text(max_size=12).filter(lambda s: s.strip() != ""))
def test_any_non_number_is_refused_with_its_row(text: str) -> None:
    try:
        Decimal(text.strip().replace(",", ""))
        return  # a number after all
    except ArithmeticError:
        pass
    row = {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-01", "value": text}
    with pytest.raises(YangfanError) as exc:
        validate_rows([row], CATALOG, get_tree(), "f.csv")
    assert (exc.value.issues[0].location.row, exc.value.issues[0].location.field) == (2, "value")


@pytest.mark.parametrize("given_unit,base,factor", [("万个", "个", 10_000), ("亿户", "户", 10**8), ("", "户", 1),
                                                    ("户", "户", 1), ("万户", "个", None), ("千个", "个", None)])
def test_unit_factors(given_unit: str, base: str, factor: int | None) -> None:
    assert unit_factor(given_unit, base) == (None if factor is None else Decimal(factor))


def test_a_unit_is_used_only_while_it_exists() -> None:
    old = OrgUnit("440399", "旧区", "county", 3, "440300", valid_to=date(2022, 12, 31))
    tree = get_tree()
    small = OrgUnitTree({NATION: tree.get(NATION), "440000": tree.get("440000"), "440300": tree.get("440300"),
                         "440399": old})
    ok = {"indicator": "bs_5g", "org_unit": "440399", "period": "2022-12", "value": "1"}
    assert validate_rows([ok], CATALOG, small, "f.csv")
    with pytest.raises(YangfanError) as exc:
        validate_rows([{**ok, "period": "2023-01"}], CATALOG, small, "f.csv")
    assert exc.value.issues[0].code == "row.org_unit_validity"


def test_non_utf8_file_is_refused() -> None:
    with pytest.raises(YangfanError) as exc:
        read_csv_rows("indicator\n基站".encode("gbk"), "gbk.csv")
    assert exc.value.issues[0].code == "file.encoding"
