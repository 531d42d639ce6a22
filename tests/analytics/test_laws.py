"""Aggregation laws, checked by property tests on a small org-unit tree.

Sums over org units equal the sum of the parts; a reported figure wins over a sum; derived
figures are ratios of sums (never averages of ratios); stocks read the period end, year-to-date
flows convert to their own periods.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yangfan.analytics.cube import build_cube
from yangfan.analytics.export import FACT_SCHEMA
from yangfan.analytics.query import Analytics, Query
from yangfan.analytics.timerules import population_year_rule
from yangfan.catalog import get_catalog
from yangfan.geo.orgunits import NATION, OrgUnit, OrgUnitTree
from yangfan.geo.periods import Period

# nation → 2 provinces → 2 cities each → 2 counties each
PROVINCES = ["110000", "120000"]
CITIES = {p: [p[:2] + f"{i:02d}00" for i in (1, 2)] for p in PROVINCES}
COUNTIES = {c: [c[:4] + f"{i:02d}" for i in (1, 2)] for cs in CITIES.values() for c in cs}
ALL_COUNTIES = [k for ks in COUNTIES.values() for k in ks]


def small_tree() -> OrgUnitTree:
    units = {NATION: OrgUnit(NATION, "全国", "nation", 0)}
    for p in PROVINCES:
        units[p] = OrgUnit(p, p, "province", 1, NATION)
        for c in CITIES[p]:
            units[c] = OrgUnit(c, c, "prefecture", 2, p)
            for k in COUNTIES[c]:
                units[k] = OrgUnit(k, k, "county", 3, c)
    return OrgUnitTree(units)


TREE = small_tree()
CATALOG = get_catalog()
settings_ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def analytics(tmp_path: Path, rows: list[tuple[str, str, str, float]], disagg: dict[int, str] | None = None,
              qualifiers: dict[int, str] | None = None) -> Analytics:
    n = len(rows)
    facts = pa.table({
        "value_id": list(range(1, n + 1)),
        "indicator": [r[0] for r in rows], "org_unit": [r[1] for r in rows], "period": [r[2] for r in rows],
        "disagg": [(disagg or {}).get(i, "") for i in range(n)], "value": [float(r[3]) for r in rows],
        "qualifier": [(qualifiers or {}).get(i, "exact") for i in range(n)], "scope": [""] * n,
        "source_id": [1] * n, "status": ["published"] * n, "preferred": [True] * n, "priority": [0] * n,
    }, schema=FACT_SCHEMA)
    sources = pa.table({"id": [1], "kind": ["test"], "url": [""], "title": ["t"]})
    path = tmp_path / "a.duckdb"
    build_cube(facts, sources, path, CATALOG, TREE)
    return Analytics(path, CATALOG, TREE)


def one(a: Analytics, indicator: str, org_unit: str, period: str) -> float | None:
    return a.run(Query.parse([indicator], [org_unit], [period]))[0].value


values = st.lists(st.integers(0, 10**7), min_size=len(ALL_COUNTIES), max_size=len(ALL_COUNTIES))


@settings_
@given(values)
def test_sum_over_org_units_equals_sum_of_leaves(tmp_path: Path, vs: list[int]) -> None:
    a = analytics(tmp_path, [("bs_5g", k, "2025-06", v) for k, v in zip(ALL_COUNTIES, vs, strict=True)])
    assert one(a, "bs_5g", NATION, "2025-06") == sum(vs)
    for p in PROVINCES:
        leaves = [v for k, v in zip(ALL_COUNTIES, vs, strict=True) if k.startswith(p[:2])]
        assert one(a, "bs_5g", p, "2025-06") == sum(leaves)


@settings_
@given(values, st.integers(0, 10**7))
def test_reported_figure_wins_over_the_sum_of_parts(tmp_path: Path, vs: list[int], own: int) -> None:
    city = CITIES["110000"][0]
    rows = [("bs_5g", k, "2025-06", v) for k, v in zip(ALL_COUNTIES, vs, strict=True)]
    a = analytics(tmp_path, rows + [("bs_5g", city, "2025-06", own)])
    other = sum(v for k, v in zip(ALL_COUNTIES, vs, strict=True) if k.startswith("11") and not k.startswith(city[:4]))
    assert one(a, "bs_5g", city, "2025-06") == own
    assert one(a, "bs_5g", "110000", "2025-06") == own + other


@settings_
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 10**7)), min_size=len(ALL_COUNTIES),
                max_size=len(ALL_COUNTIES)))
def test_derived_is_ratio_of_sums_not_average_of_ratios(tmp_path: Path, pairs: list[tuple[int, int]]) -> None:
    rows = [("bs_5g", k, "2025-06", b) for k, (b, _) in zip(ALL_COUNTIES, pairs, strict=True)]
    rows += [("population", k, "2024", p) for k, (_, p) in zip(ALL_COUNTIES, pairs, strict=True)]
    a = analytics(tmp_path, rows)
    fig = a.run(Query.parse(["bs_5g_per_10k"], [NATION], ["2025-06"]))[0]
    total_b, total_p = sum(b for b, _ in pairs), sum(p for _, p in pairs)
    assert (fig.numerator, fig.denominator) == (total_b, total_p)
    assert fig.value == pytest.approx(total_b / total_p * 10_000, rel=1e-12)


def test_average_of_ratios_would_be_wrong(tmp_path: Path) -> None:
    """A concrete case where the mean of ratios differs: the engine must give the ratio of sums."""
    pairs = [(100, 1_000)] + [(1, 1_000_000)] * (len(ALL_COUNTIES) - 1)
    rows = [("bs_5g", k, "2025-06", b) for k, (b, _) in zip(ALL_COUNTIES, pairs, strict=True)]
    rows += [("population", k, "2024", p) for k, (_, p) in zip(ALL_COUNTIES, pairs, strict=True)]
    value = one(analytics(tmp_path, rows), "bs_5g_per_10k", NATION, "2025-06")
    mean_of_ratios = sum(b / p * 10_000 for b, p in pairs) / len(pairs)
    assert value == pytest.approx(107 / 7_001_000 * 10_000)
    assert not math.isclose(value or 0, mean_of_ratios)


@settings_
@given(st.lists(st.integers(0, 10**6), min_size=12, max_size=12))
def test_stock_quarter_and_year_take_the_last_month(tmp_path: Path, monthly: list[int]) -> None:
    k = ALL_COUNTIES[0]
    a = analytics(tmp_path, [("bs_5g", k, f"2025-{m:02d}", v) for m, v in enumerate(monthly, 1)])
    for q in range(1, 5):
        assert one(a, "bs_5g", k, f"2025Q{q}") == monthly[q * 3 - 1]
    assert one(a, "bs_5g", k, "2025") == monthly[11]


@settings_
@given(st.lists(st.integers(0, 10**6), min_size=12, max_size=12))
def test_year_to_date_flows_convert_to_months_and_quarters(tmp_path: Path, own: list[int]) -> None:
    k = ALL_COUNTIES[0]
    ytd = list(itertools.accumulate(own))
    a = analytics(tmp_path, [("bs_5g_new", k, f"2025-{m:02d}", v) for m, v in enumerate(ytd, 1)])
    for m in range(1, 13):
        assert one(a, "bs_5g_new", k, f"2025-{m:02d}") == own[m - 1]  # January resets: YTD(Jan) is its own flow
    for q in range(1, 5):
        assert one(a, "bs_5g_new", k, f"2025Q{q}") == sum(own[q * 3 - 3:q * 3])
    assert one(a, "bs_5g_new", k, "2025") == ytd[-1]


def test_a_missing_month_leaves_a_ytd_month_unknown(tmp_path: Path) -> None:
    k = ALL_COUNTIES[0]
    a = analytics(tmp_path, [("bs_5g_new", k, "2025-01", 5), ("bs_5g_new", k, "2025-03", 9)])
    assert one(a, "bs_5g_new", k, "2025-03") is None
    assert one(a, "bs_5g_new", k, "2025-01") == 5


@settings_
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)),
                min_size=len(ALL_COUNTIES), max_size=len(ALL_COUNTIES)))
def test_total_is_the_sum_of_operator_parts(tmp_path: Path, parts: list[tuple[int, int, int]]) -> None:
    rows, disagg = [], {}
    for k, triple in zip(ALL_COUNTIES, parts, strict=True):
        for op, v in zip(("cmcc", "ctcc", "cucc"), triple, strict=True):
            disagg[len(rows)] = f"operator={op}"
            rows.append(("users_5g_mobile_phone", k, "2025-06", v))
    a = analytics(tmp_path, rows, disagg)
    assert one(a, "users_5g_mobile_phone", NATION, "2025-06") == sum(map(sum, parts))
    cmcc = a.run(Query.parse(["users_5g_mobile_phone"], [NATION], ["2025-06"], "operator=cmcc"))[0]
    assert cmcc.value == sum(p[0] for p in parts)


def test_a_sum_over_some_parts_is_not_a_total(tmp_path: Path) -> None:
    rows = [("bs_5g", k, "2025-06", 1) for k in ALL_COUNTIES[1:]]
    a = analytics(tmp_path, rows)
    assert one(a, "bs_5g", "110000", "2025-06") is None
    assert one(a, "bs_5g", "120000", "2025-06") == 4
    partial = a.run(Query((("bs_5g",)), ("110000",), (Period(2025, "month", 6),), allow_incomplete=True))[0]
    assert partial.value == 3 and partial.incomplete


def test_lower_bound_inputs_flag_the_ratio(tmp_path: Path) -> None:
    rows = [("bs_5g", NATION, "2025-06", 100), ("population", NATION, "2024", 1000)]
    a = analytics(tmp_path, rows, qualifiers={0: "lower_bound"})
    fig = a.run(Query.parse(["bs_5g_per_10k"], [NATION], ["2025-06"]))[0]
    assert fig.lower_bound and fig.value == 1000


VINTAGE_ROWS = [("bs_5g", NATION, "2025-11", 100), ("bs_5g", NATION, "2025-12", 100), ("bs_5g", NATION, "2026-01", 100),
                ("population", NATION, "2024", 1000), ("population", NATION, "2025", 2000)]


def test_a_month_divides_by_the_previous_year_end(tmp_path: Path) -> None:
    """November 2025 is published in December 2025: NBS's end-2025 figure comes out in January 2026."""
    assert one(analytics(tmp_path, VINTAGE_ROWS), "bs_5g_per_10k", NATION, "2025-11") == 1000


def test_december_divides_by_its_own_year_end(tmp_path: Path) -> None:
    """December 2025 is published in late January 2026, after NBS's release of the end-2025 population."""
    a = analytics(tmp_path, VINTAGE_ROWS)
    assert one(a, "bs_5g_per_10k", NATION, "2025-12") == 500
    assert one(a, "bs_5g_per_10k", NATION, "2025Q4") == 500  # the quarter and the year agree with December
    assert one(a, "bs_5g_per_10k", NATION, "2025") == 500


def test_january_divides_by_the_year_end_just_released(tmp_path: Path) -> None:
    assert one(analytics(tmp_path, VINTAGE_ROWS), "bs_5g_per_10k", NATION, "2026-01") == 500


def test_a_year_end_not_yet_held_falls_back_to_the_latest_one(tmp_path: Path) -> None:
    rows = [r for r in VINTAGE_ROWS if r[2] != "2025"]
    assert one(analytics(tmp_path, rows), "bs_5g_per_10k", NATION, "2025-12") == 1000


def test_the_vintage_setting_overrides_the_calendar(tmp_path: Path) -> None:
    a = analytics(tmp_path, VINTAGE_ROWS)
    previous = Analytics(a.path, CATALOG, TREE, population_year_rule("previous_year_end"))
    assert previous.run(Query.parse(["bs_5g_per_10k"], [NATION], ["2025-12"]))[0].value == 1000
    own = Analytics(a.path, CATALOG, TREE, population_year_rule("period_year_end"))
    assert own.run(Query.parse(["bs_5g_per_10k"], [NATION], ["2025-11"]))[0].value == 500


def test_data_as_of_is_the_latest_month_with_a_national_figure(tmp_path: Path) -> None:
    rows = [("bs_5g", NATION, "2025-06", 100), ("bs_5g", "110000", "2025-08", 10)]  # one province ahead of the rest
    assert analytics(tmp_path, rows).latest_month() == Period(2025, "month", 6)


def test_a_year_to_date_denominator_is_converted_like_a_numerator(tmp_path: Path) -> None:
    """A month's own flow is YTD minus the month before, on both sides of a ratio."""
    rows = [("phone_shipments_5g_ytd", NATION, "2024-03", 60), ("phone_shipments_5g_ytd", NATION, "2024-04", 84),
            ("phone_shipments_total_ytd", NATION, "2024-03", 80), ("phone_shipments_total_ytd", NATION, "2024-04", 110)]
    assert one(analytics(tmp_path, rows), "phone_shipments_5g_share_ytd", NATION, "2024-04") == pytest.approx(80.0)


def test_a_derived_series_has_the_periods_where_all_its_inputs_are(tmp_path: Path) -> None:
    rows = [("users_5g_mobile_phone", NATION, "2025-12", 1), ("users_mobile_phone", NATION, "2025-12", 2),
            ("users_5g_mobile_phone", NATION, "2026-02", 1)]  # no total for 2026-02: no share either
    assert analytics(tmp_path, rows).series("users_5g_share", NATION) == [Period(2025, "month", 12)]


def _build(tmp_path: Path, rows: list[tuple[int, str, str, float, str, bool]]) -> Analytics:
    """rows: (value id, indicator, org unit, value, status, preferred by the store)."""
    n = len(rows)
    facts = pa.table({
        "value_id": [r[0] for r in rows], "indicator": [r[1] for r in rows], "org_unit": [r[2] for r in rows],
        "period": ["2025-06" if r[1] == "bs_5g" else "2024" for r in rows], "disagg": [""] * n,
        "value": [float(r[3]) for r in rows], "qualifier": ["exact"] * n, "scope": [""] * n, "source_id": [1] * n,
        "status": [r[4] for r in rows], "preferred": [r[5] for r in rows], "priority": [0] * n}, schema=FACT_SCHEMA)
    path = tmp_path / f"v{len(list(tmp_path.glob('*.duckdb')))}.duckdb"  # DuckDB caches by path
    build_cube(facts, pa.table({"id": [1], "kind": ["test"], "url": [""], "title": ["t"]}), path, CATALOG, TREE)
    return Analytics(path, CATALOG, TREE)


def _view(a: Analytics, published_only: bool) -> list[tuple[str, float | None, float | None]]:
    units = list(TREE.units)
    out = []
    for allow in (False, True):
        for code in ("bs_5g", "bs_5g_per_10k"):
            q = Query.parse([code], units, ["2025-06"])
            figures = a.run(Query(q.indicators, q.org_units, q.periods, allow_incomplete=allow,
                                  published_only=published_only))
            out += [(f.org_unit, f.value, f.numerator) for f in figures]
    return out


# Per county: a published value, and maybe a newer approved one (same source: the store prefers the newer);
# a county may have only an approved value; a city may report its own total, published or approved only.
county_state = st.tuples(st.integers(0, 10**6), st.one_of(st.none(), st.integers(0, 10**6)), st.booleans())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(county_state, min_size=len(ALL_COUNTIES), max_size=len(ALL_COUNTIES)),
       st.one_of(st.none(), st.tuples(st.integers(0, 10**6), st.booleans())))
def test_each_reader_sees_the_build_of_exactly_what_it_may_read(
        tmp_path: Path, counties: list[tuple[int, int | None, bool]], city: tuple[int, bool] | None) -> None:
    ids = itertools.count(1)
    mixed: list[tuple[int, str, str, float, str, bool]] = []
    for k, (published, approved, only_approved) in zip(ALL_COUNTIES, counties, strict=True):
        if not only_approved:
            mixed.append((next(ids), "bs_5g", k, published, "published", approved is None))
        if approved is not None or only_approved:
            mixed.append((next(ids), "bs_5g", k, approved if approved is not None else published, "approved", True))
        mixed.append((next(ids), "population", k, 1000 + published, "published", True))
    if city is not None:
        mixed.append((next(ids), "bs_5g", CITIES["110000"][0], city[0], "published" if city[1] else "approved", True))
    ministry = [(i, ind, ou, v, "published", pref) for i, ind, ou, v, _, pref in mixed if pref]
    public = [(i, ind, ou, v, s, True) for i, ind, ou, v, s, _ in mixed if s == "published"]
    both = _build(tmp_path, mixed)
    assert _view(both, published_only=False) == _view(_build(tmp_path, ministry), published_only=False)
    assert _view(both, published_only=True) == _view(_build(tmp_path, public), published_only=True)
