"""Demo sub-national values: consistent with the published totals, labelled, never replacing real figures."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yangfan.analytics.query import Query
from yangfan.analytics.rank import ranks
from yangfan.collect.synthetic import REGIONS, apportion, demo_values
from yangfan.geo.orgunits import NATION


@given(st.integers(0, 10**12), st.dictionaries(st.text(min_size=1, max_size=3), st.floats(1e-3, 1e6), min_size=1))
def test_apportioning_a_whole_number_gives_whole_numbers_that_add_up_exactly(total: int, weights: dict[str, float]
                                                                              ) -> None:
    parts = apportion(float(total), weights)
    assert set(parts) == set(weights)
    assert sum(parts.values()) == total
    assert all(v == int(v) and v >= 0 for v in parts.values())
    wsum = sum(weights.values())
    assert all(abs(parts[k] - total * w / wsum) < 1 for k, w in weights.items())


def _values(demo: Any, indicator: str, units: list[str], period: str) -> dict[str, Any]:
    figures = demo.query(Query.parse([indicator], units, [period]))
    return {f.org_unit: f for f in figures}


@pytest.mark.parametrize("indicator", ["bs_5g", "users_5g_mobile_phone", "users_mobile_phone", "population"])
def test_every_province_and_city_has_a_demo_value_and_parts_add_up_to_their_total(demo: Any, indicator: str) -> None:
    tree = demo.tree
    period = demo.analytics.series(indicator, NATION)[-1].code
    provinces = [u.code for u in tree.at_level(1)]
    got = _values(demo, indicator, provinces + [NATION] + list(REGIONS), period)
    assert all(got[p].value is not None and got[p].demo for p in provinces)
    nation = got[NATION]
    assert not nation.demo, "the nation's figure is the published one"
    assert sum(got[p].value for p in provinces) == pytest.approx(nation.value, rel=0.02)
    reported = demo.analytics.reported(indicator, REGIONS)
    for g in REGIONS:
        members = sum(got[p].value for p in tree.groups[g].members)
        region = reported[(g, period)].value if (g, period) in reported else got[g].value
        assert members == pytest.approx(region, rel=1e-12), g
    for p in provinces:
        kids = list(tree.children[p])
        cities = _values(demo, indicator, kids, period)
        assert sum(cities[c].value for c in kids) == pytest.approx(got[p].value, rel=1e-12), p
        assert all(cities[c].demo for c in kids)


def test_regions_published_figures_are_kept_and_not_flagged_demo(demo: Any) -> None:
    reported = demo.analytics.reported("bs_5g", REGIONS)
    (region, period), cell = sorted(reported.items())[-1]
    figure = _values(demo, "bs_5g", [region], period)[region]
    assert figure.value == cell.value and not figure.demo


def test_a_part_never_exceeds_its_whole(demo: Any) -> None:
    level2 = [u.code for u in demo.tree.at_level(2)]
    counties = [k for c in level2 if demo.tree.get(c).kind == "placeholder" for k in demo.tree.children.get(c, [])]
    assert counties  # the county-level units the map shows under 市辖区 and 省直辖县级行政区划
    units = [u.code for u in demo.tree.at_level(1)] + level2 + counties
    for part, whole in (("users_5g_mobile_phone", "users_mobile_phone"), ("bs_5g", "bs_mobile_total")):
        periods = sorted({p.code for p in demo.analytics.series(part, NATION)}
                         & {p.code for p in demo.analytics.series(whole, NATION)})
        for period in periods:
            a, b = _values(demo, part, units, period), _values(demo, whole, units, period)
            over = [u for u in units if a[u].value is not None and b[u].value is not None and a[u].value > b[u].value]
            assert not over, (part, period, over[:5])


@pytest.mark.parametrize("share", ["users_5g_share", "bs_5g_share"])
def test_each_province_has_a_share_of_its_own(demo: Any, share: str) -> None:
    provinces = [u.code for u in demo.tree.at_level(1)]
    # the latest period with every province's share (the whole may be published later than its part)
    figures = next(fs for p in reversed(demo.analytics.series(share, "440000"))
                   if (fs := [f for f in demo.query(Query.parse([share], provinces, [p.code])) if f.value is not None]))
    assert len(figures) == 31 and all(f.demo for f in figures)
    shown = [round(f.value, 1) for f in figures]
    assert len(set(shown)) >= 20, shown  # not the nation's share 31 times over
    assert 3 <= max(shown) - min(shown) <= 25, shown  # a few points apart, as provinces are
    assert len(set(ranks(figures).values())) >= 20  # so the ranks differ too


def test_a_provinces_share_drifts_slowly(demo: Any) -> None:
    periods = [p.code for p in demo.analytics.series("users_5g_share", "440000")][-12:]
    nation = {f.period.code: f.value for f in demo.query(Query.parse(["users_5g_share"], [NATION], periods))}
    for unit in ("440000", "110000", "650000"):
        gaps = [f.value - nation[f.period.code] for f in demo.query(Query.parse(["users_5g_share"], [unit], periods))
                if f.value is not None and nation[f.period.code] is not None]
        assert len(gaps) >= 6 and max(gaps) - min(gaps) < 3, (unit, gaps)  # its distance to the nation moves a little


def test_ratios_of_demo_values_are_plausible_and_flagged(demo: Any) -> None:
    provinces = [u.code for u in demo.tree.at_level(1)]
    figures = demo.query(Query.parse(["bs_5g_per_10k", "users_5g_penetration"], provinces, ["2025-06"]))
    per10k = [f.value for f in figures if f.indicator.code == "bs_5g_per_10k"]
    penetration = [f.value for f in figures if f.indicator.code == "users_5g_penetration"]
    assert all(f.demo for f in figures)
    assert 10 < min(per10k) and max(per10k) < 80
    assert 40 < min(penetration) and max(penetration) < 130


def test_generating_again_from_the_same_totals_changes_nothing(demo: Any) -> None:
    assert demo_values(demo.analytics, demo.tree) == demo_values(demo.analytics, demo.tree)
    assert demo.load_demo_values().repeated


def test_every_unit_the_map_draws_has_a_value(demo: Any) -> None:
    from yangfan.geo.boundaries import drilldown

    for province in demo.tree.at_level(1):
        units = [u.code for u in drilldown(demo.tree, province.code)]
        figures = demo.query(Query.parse(["bs_5g_per_10k"], units, ["2025-06"]))
        missing = [f.org_unit for f in figures if f.value is None]
        assert not missing, (province.code, missing[:5])
