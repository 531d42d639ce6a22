"""Validation rules: every hard and soft rule has a failing and a passing case; the modified z-score's law."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yangfan.catalog import get_catalog
from yangfan.collect.rules import Entry, Rules, load_rules, modified_z, validate
from yangfan.geo.orgunits import get_tree
from yangfan.settings import get_settings
from yangfan.store.values import NewValue

CATALOG = get_catalog()
TREE = get_tree(get_settings().division_dir)
TODAY = date(2026, 12, 3)
OPS = ("cmcc", "ctcc", "cucc", "cbn")


def _e(indicator: str, value: float, org_unit: str = "440000", period: str = "2026-09", d: str = "",
       explanation: str = "") -> Entry:
    return Entry(NewValue(indicator, org_unit, period, value, d), "f.csv", None, 2, "D", explanation)


def _rules(entries: list[Entry], known: dict[tuple[str, str, str, str], float] | None = None) -> set[str]:
    return {p.rule for p in validate(entries, known or {}, CATALOG, TREE, load_rules(), TODAY).problems}


def test_the_rules_file_loads_with_its_thresholds() -> None:
    rules = load_rules()
    assert rules.percent_range == (0.0, 100.0) and ("bs_5g", "bs_mobile_total") in rules.parts
    assert rules.month_change == 0.3 and rules.outlier_z == 3.5


@pytest.mark.parametrize(("entries", "known", "rule"), [
    ([_e("bs_5g", -5)], {}, "non_negative"),
    ([_e("traffic_5g_share", 925)], {}, "percent_range"),
    ([_e("bs_5g", 200), _e("bs_mobile_total", 100)], {}, "part_le_whole"),
    ([_e("bs_5g", 200)], {("bs_mobile_total", "440000", "2026-09", ""): 100}, "part_le_whole"),
    ([_e("bs_5g", 10, d=f"operator={op}") for op in OPS], {("bs_5g", "440000", "2026-09", ""): 50}, "operators_sum"),
    ([_e("bs_5g", 10, org_unit="110000")],
     {("bs_5g", c, "2026-09", ""): 1 for c in TREE.children["110000"]}, "children_sum"),
    ([_e("bs_5g", 10, period="2027-01")], {}, "no_future_period"),
    ([_e("bs_5g", 10.5)], {}, "whole_number"),
])
def test_each_hard_rule_fails_and_passes(entries: list[Entry], known: dict[tuple[str, str, str, str], float],
                                         rule: str) -> None:
    result = validate(entries, known, CATALOG, TREE, load_rules(), TODAY)
    hits = [p for p in result.problems if p.rule == rule]
    assert hits and all(p.severity == "hard" and p.blocking for p in hits) and not result.ok
    assert hits[0].message_zh and hits[0].message_en and hits[0].row == 2 and hits[0].column == "D"
    # The passing case: the same figures made right.
    fixed = {"non_negative": [_e("bs_5g", 5)], "percent_range": [_e("traffic_5g_share", 92.5)],
             "part_le_whole": [_e("bs_5g", 50), _e("bs_mobile_total", 100)],
             "operators_sum": [_e("bs_5g", 12.5, d=f"operator={op}") for op in OPS],
             "children_sum": [_e("bs_5g", float(len(TREE.children["110000"])), org_unit="110000")],
             "no_future_period": [_e("bs_5g", 10, period="2026-12")],
             "whole_number": [_e("bs_5g", 10)]}[rule]
    assert rule not in _rules(fixed, known)


def test_rounding_in_sums_is_tolerated_within_half_units() -> None:
    ops = [_e("bs_5g", 12.5, d=f"operator={op}") for op in OPS]
    assert "operators_sum" not in _rules(ops, {("bs_5g", "440000", "2026-09", ""): 50.04})


def test_a_month_jump_needs_an_explanation_and_the_explanation_lifts_it() -> None:
    known = {("bs_5g", "440000", "2026-08", ""): 100.0}
    flagged = validate([_e("bs_5g", 140)], known, CATALOG, TREE, load_rules(), TODAY)
    jump = [p for p in flagged.problems if p.rule == "month_change"]
    assert jump and jump[0].severity == "soft" and not flagged.ok and flagged.unexplained
    explained = validate([_e("bs_5g", 140, explanation="集中开通")], known, CATALOG, TREE, load_rules(), TODAY)
    assert explained.ok and [p.explained for p in explained.problems if p.rule == "month_change"] == [True]
    assert "month_change" not in _rules([_e("bs_5g", 120)], known)


def test_a_doubling_on_the_year_before_is_flagged_and_a_normal_year_is_not() -> None:
    known = {("bs_5g", "440000", "2025-09", ""): 100.0}
    assert "year_change" in _rules([_e("bs_5g", 250)], known)
    assert "year_change" not in _rules([_e("bs_5g", 150)], known)


def _history(unit: str, growth: float, last: float) -> dict[tuple[str, str, str, str], float]:
    """Thirteen months up to 2026-08, growing steadily (with a wobble so that the spread is not zero)."""
    out, v = {}, last
    for k in range(13):
        m = 8 - k
        period = f"2026-{m:02d}" if m >= 1 else f"2025-{m + 12:02d}"
        out[("bs_5g", unit, period, "")] = v
        v = v / (1 + growth + (0.004 if k % 2 else -0.004))
    return out


def test_an_outlier_against_the_units_own_history_is_soft_and_an_ordinary_month_is_not() -> None:
    known = _history("440000", 0.02, 1000.0)
    assert "outlier" in _rules([_e("bs_5g", 1000 * 1.25)], known)  # +25%: below the 30% jump, far from +2%
    assert "outlier" not in _rules([_e("bs_5g", 1000 * 1.021)], known)


def test_an_outlier_against_its_peers_is_soft() -> None:
    peers = [c for c in TREE.children["440000"]][:10]
    known: dict[tuple[str, str, str, str], float] = {}
    for i, c in enumerate(peers):
        known[("bs_5g", c, "2026-08", "")] = 100.0
        known[("bs_5g", c, "2026-09", "")] = 101.0 + (i % 3)
    target = peers[0]
    del known[("bs_5g", target, "2026-09", "")]
    assert "outlier" in _rules([_e("bs_5g", 125, org_unit=target)], known)
    assert "outlier" not in _rules([_e("bs_5g", 102, org_unit=target)], known)


def test_rules_can_be_switched_off() -> None:
    off = Rules(non_negative=False, percent_range=None, no_future_period=False)
    result = validate([_e("bs_5g", -5, period="2027-01")], {}, CATALOG, TREE, off, TODAY)
    assert result.ok


@given(st.lists(st.integers(-1000, 1000).map(float), min_size=6, max_size=30), st.integers(-1000, 1000).map(float))
def test_modified_z_is_shift_invariant(sample: list[float], x: float) -> None:
    z1, z2 = modified_z(x, sample, 6), modified_z(x + 7.0, [s + 7.0 for s in sample], 6)
    assert (z1 is None) == (z2 is None)
    if z1 is not None and z2 is not None:
        assert z1 == pytest.approx(z2, rel=1e-6, abs=1e-6)


def test_modified_z_needs_enough_values_and_a_spread() -> None:
    assert modified_z(5.0, [1.0] * 10, 6) is None
    assert modified_z(5.0, [1.0, 2.0], 6) is None
    assert modified_z(100.0, [1.0, 2.0, 3.0, 2.0, 1.0, 2.0], 6) > 3.5  # type: ignore[operator]
