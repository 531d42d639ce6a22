"""Row validation and the CSV parser: property tests and the unit/validity checks."""

from __future__ import annotations

import csv
import io
import math
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


def test_a_file_neither_utf8_nor_gb18030_is_refused() -> None:
    # 0xFF starts no character in either encoding (GBK files are read: tests/collect/test_encodings.py).
    with pytest.raises(YangfanError) as exc:
        read_csv_rows("indicator\n基站".encode("gbk") + b"\xff", "bad.csv")
    assert (exc.value.issues[0].code, exc.value.issues[0].location.row) == ("file.encoding", 2)


def _value_of(text: str, unit: str = "") -> float:
    row = {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-01", "value": text, "unit": unit}
    return validate_rows([row], CATALOG, get_tree(), "f.csv")[0].value


def _refusal(change: dict[str, str]) -> tuple[int | None, str | None, str]:
    row = {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-01", "value": "1", **change}
    with pytest.raises(YangfanError) as exc:
        validate_rows([row], CATALOG, get_tree(), "f.csv")
    issue = exc.value.issues[0]
    assert issue.message_zh and issue.message_en and len(exc.value.issues) == 1
    return issue.location.row, issue.location.field, issue.code


@pytest.mark.parametrize("text,unit,code", [
    ("sNaN", "", "row.value"), ("NaN", "", "row.value"), ("Infinity", "", "row.value"), ("-inf", "", "row.value"),
    ("1_000", "", "row.value"), ("0x10", "", "row.value"), ("12%", "", "row.value"), ("1.2.3", "", "row.value"),
    ("１２３", "", "row.value_fullwidth"), ("１2", "", "row.value_fullwidth"), ("٣", "", "row.value_fullwidth"),
    ("1,5", "", "row.value_separator"), ("12,34", "", "row.value_separator"), ("1,2345", "", "row.value_separator"),
    ("1e309", "", "row.value_range"), ("1e305", "万个", "row.value_range"), ("1e301", "亿个", "row.value_range"),
    ("1.7976931348623157e308", "万个", "row.value_range"), ("-1e305", "万个", "row.value_range"),
    ("1e-400", "", "row.value_range"), ("5e-324", "", "row.value_range"), ("2e-308", "", "row.value_range"),
    ("1e99999", "", "row.value_range"), ("1e999999999", "万个", "row.value_range"),
    ("1e99999999999999999999999", "", "row.value_range"), ("0e99999999999999999999999", "", "row.value_range"),
    ("1" * 51, "", "row.value_long"),
])
def test_numbers_at_the_edges_are_refused_with_row_and_field(text: str, unit: str, code: str) -> None:
    assert _refusal({"value": text, "unit": unit}) == (2, "value", code)


@pytest.mark.parametrize("text,unit,value", [
    ("1,234,567.5", "", 1_234_567.5), ("-1,000", "", -1000.0), ("1,234", "万个", 12_340_000.0),
    ("1e305", "", 1e305), ("1.7976931348623157e308", "", 1.7976931348623157e308), ("2.3e-308", "", 2.3e-308),
    ("0.30000000000000004", "", 0.30000000000000004), ("35.2", "万个", 352_000.0), ("+.5", "", 0.5), ("7.", "", 7.0),
    ("1E3", "亿个", 1e11), ("0e-99999", "", 0.0),
])
def test_numbers_at_the_edges_that_are_taken(text: str, unit: str, value: float) -> None:
    assert _value_of(text, unit) == value


def test_negative_zero_is_stored_as_zero() -> None:
    stored = _value_of("-0", "万个")
    assert stored == 0 and math.copysign(1, stored) == 1


def test_decimal_precision_survives_the_unit() -> None:
    # 0.1 万 is exactly 1000: the product is taken in decimal, then rounded to a float once.
    assert _value_of("0.1", "万个") == 1000 and _value_of("123456789.123456789", "亿个") == float(
        Decimal("12345678912345678.9"))


@given(st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False))
def test_every_finite_float_written_out_is_stored_exactly(x: float) -> None:
    assert _value_of(repr(x)) == (x or 0.0)


@given(st.integers(-10**15, 10**15))
def test_thousands_separators_in_groups_of_three_are_read(n: int) -> None:
    assert _value_of(f"{n:,}") == n


def test_full_width_periods_are_refused() -> None:
    assert _refusal({"period": "２０２５-０１"}) == (2, "period", "period.format")


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript://example.org/%0aalert(1)", "data:text/html,<script>", '=HYPERLINK("http://x")',
    "/relative/path", "example.org/page", "ftp://example.org/a", "http://", "https:///path", "https://exa mple.org",
    "https://example.org/a b", "https://example.org/\x01", "https://example.org/\u200b", "https://example.org:99999/",
    "https://[::1", "file:///etc/passwd", "https://example.org/" + "a" * 2000,
])
def test_a_source_url_is_an_absolute_web_address(url: str) -> None:
    assert _refusal({"source_url": url}) == (2, "source_url", "row.source_url")


@pytest.mark.parametrize("url", ["https://www.miit.gov.cn/a.html?x=1#y", "http://m.lujuzi.cn/article/695813.html",
                                 "HTTPS://例子.中国/路径", "http://127.0.0.1:8080/"])
def test_web_addresses_are_kept_as_written(url: str) -> None:
    row = {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-01", "value": "1", "source_url": url}
    assert validate_rows([row], CATALOG, get_tree(), "f.csv")[0].source_url == url


@pytest.mark.parametrize("text", ["1.5", "x", "1e2", "99999999999999999999", "1000", "-1000", "１"])
def test_a_priority_is_a_small_whole_number(text: str) -> None:
    assert _refusal({"priority": text}) == (2, "priority", "row.priority")


@pytest.mark.parametrize("text,priority", [("", 0), ("3", 3), ("+2", 2), ("-999", -999), ("999", 999)])
def test_priorities_that_are_taken(text: str, priority: int) -> None:
    row = {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-01", "value": "1", "priority": text}
    assert validate_rows([row], CATALOG, get_tree(), "f.csv")[0].priority == priority


def test_a_disaggregation_wider_than_the_store_is_refused() -> None:
    assert _refusal({"disaggregation": "x" * 101}) == (2, "disaggregation", "row.disaggregation_long")


def test_rows_keep_the_numbers_they_have_in_the_file() -> None:
    rows = [{"indicator": "bs_5g", "org_unit": "100000", "period": "2025-01", "value": "1"},
            {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-02", "value": "x"}]
    with pytest.raises(YangfanError) as exc:
        validate_rows(rows, CATALOG, get_tree(), "f.csv", numbers=[3, 7])
    assert exc.value.issues[0].location.row == 7


def test_one_reading_names_every_problem_of_a_row() -> None:
    row = {"indicator": "bs_5g", "org_unit": "440300", "period": "2025-12", "value": "-5e400", "unit": "万个",
           "source_url": "javascript:alert(1)"}
    with pytest.raises(YangfanError) as err:
        validate_rows([row], CATALOG, get_tree(), "f.csv")
    assert sorted(i.location.field or "" for i in err.value.issues) == ["source_url", "value"]
