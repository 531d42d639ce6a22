"""The composite index: a hand-computed example, each step's laws, outliers and ranks."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from yangfan.errors import YangfanError
from yangfan.evaluate.composite import (
    Table,
    aggregate,
    competition_ranks,
    compute,
    impute,
    normalise,
    shape,
    treat_outliers,
)
from yangfan.evaluate.method import Choices, Method, method_from_dict


def toy_method(pillars: dict[str, Sequence[str]] | None = None, *, lower: Sequence[str] = (),
               targets: dict[str, float] | None = None, **extra: object) -> Method:
    """A method with equal weights (pillars and indicators), ranges ±50 %, built from plain data."""
    pillars = pillars or {"p1": ["x1", "x2"], "p2": ["x3", "x4"]}
    targets = targets or {}
    return method_from_dict({
        "version": "test", "year": 2025, "title_zh": "测试", "title_en": "test",
        "pillars": [{"code": p, "name_zh": p, "name_en": p, "weight": 1 / len(pillars)} for p in pillars],
        "indicators": [{"code": c, "reads": "test", "name_zh": c, "name_en": c, "pillar": p,
                        "direction": "lower" if c in lower else "higher", "weight": 1.0, "weight_range": [0.5, 1.5],
                        **({"target": targets[c]} if c in targets else {})}
                       for p, codes in pillars.items() for c in codes],
        **extra,
    })


#: Three cities, two pillars of two indicators; x2 is lower-is-better.
HAND = Table(["A", "B", "C"], ["x1", "x2", "x3", "x4"], np.array([
    [10.0, 5.0, 0.0, 20.0],
    [20.0, 1.0, 50.0, 40.0],
    [40.0, 3.0, 100.0, 30.0],
]))


def test_hand_computed_minmax_arithmetic() -> None:
    r = compute(toy_method(lower=["x2"]), HAND)
    # x1: (x − 10) / 30 · 100      → A 0, B 33.33, C 100
    # x2: lower: 100 − (x − 1)/4·100 → A 0, B 100,   C 50
    # x3: x / 100 · 100            → A 0, B 50,    C 100
    # x4: (x − 20) / 20 · 100      → A 0, B 100,   C 50
    assert_allclose(r.normalised, [[0, 0, 0, 0], [100 / 3, 100, 50, 100], [100, 50, 100, 50]])
    # pillars: p1 = (x1 + x2)/2, p2 = (x3 + x4)/2
    assert_allclose(r.pillars, [[0, 0], [(100 / 3 + 100) / 2, 75], [75, 75]])
    # index = (p1 + p2)/2: A 0, B (66.67 + 75)/2 = 70.83, C 75
    assert_allclose(r.scores, [0, 70.8333333333, 75])
    assert_array_equal(r.ranks, [3, 2, 1])
    assert_allclose(r.weights, [0.25, 0.25, 0.25, 0.25])
    assert r.outliers == {}  # three values: too few to test the shape


def test_hand_computed_weights() -> None:
    r = compute(toy_method(lower=["x2"]), HAND, choices=Choices(weights=(2.0, 1.0, 1.0, 1.0)))
    # p1 = (2·x1 + x2)/3: B (66.67 + 100)/3 = 55.56, C (200 + 50)/3 = 83.33; p2 as before (75, 75)
    # index: B (55.56 + 75)/2 = 65.28, C (83.33 + 75)/2 = 79.17
    assert_allclose(r.scores, [0, (500 / 9 + 75) / 2, (250 / 3 + 75) / 2])
    assert_allclose(r.weights, [1 / 3, 1 / 6, 0.25, 0.25])


def test_hand_computed_geometric() -> None:
    r = compute(toy_method(lower=["x2"]), HAND, choices=Choices(aggregation="geometric"))
    # onto [1, 100]: 1 + 0.99·x → A all 1; B 34, 100, 50.5, 100; C 100, 50.5, 100, 50.5
    # p1: B √(34·100) = √3400, C √(100·50.5) = √5050; p2: B √(50.5·100) = √5050, C √5050
    assert_allclose(r.pillars, [[1, 1], [np.sqrt(3400), np.sqrt(5050)], [np.sqrt(5050), np.sqrt(5050)]])
    # index: A 1, B (3400·5050)^¼ = 64.37, C √5050 = 71.06
    assert_allclose(r.scores, [1, (3400 * 5050) ** 0.25, np.sqrt(5050)])
    assert_array_equal(r.ranks, [3, 2, 1])


def test_direction_lower_flips() -> None:
    x = np.array([[1.0], [2.0], [4.0]])
    up, down = (normalise(x, np.array([d]), "minmax") for d in (1, -1))
    assert_allclose(up[:, 0], [0, 100 / 3, 100])
    assert_allclose(down, 100 - up)
    z_up, z_down = (normalise(x, np.array([d]), "zscore") for d in (1, -1))
    assert_allclose(z_down, -z_up)
    assert_allclose([z_up.mean(), z_up.std(ddof=1)], [0, 1], atol=1e-12)


def test_constant_column_does_not_divide_by_zero() -> None:
    x = np.array([[3.0, 1.0], [3.0, 2.0], [3.0, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mm = normalise(x, np.array([1, -1]), "minmax")
        z = normalise(x, np.array([1, 1]), "zscore")
    assert_array_equal(mm[:, 0], [50, 50, 50])
    assert_array_equal(z[:, 0], [0, 0, 0])
    assert np.isnan(mm[2, 1]) and np.isnan(z[2, 1])


def test_distance_to_target_and_fallback() -> None:
    x = np.array([[19.0, 1.0, 10.0], [38.0, 2.0, 20.0], [57.0, 3.0, 40.0]])
    out = normalise(x, np.array([1, 1, -1]), "target", np.array([38.0, np.nan, 20.0]))
    assert_allclose(out[:, 0], [50, 100, 100])  # 100·min(x/38, 1)
    assert_allclose(out[:, 1], [0, 50, 100])  # no target: min-max
    assert_allclose(out[:, 2], [100, 100, 50])  # lower is better: 100·min(20/x, 1)


def test_imputation_fills_means_and_medians() -> None:
    x = np.array([[1.0, np.nan], [2.0, 4.0], [np.nan, 5.0], [6.0, 9.0]])
    assert_allclose(impute(x, "mean"), [[1, 6], [2, 4], [3, 5], [6, 9]])
    assert_allclose(impute(x, "median"), [[1, 5], [2, 4], [2, 5], [6, 9]])
    assert_array_equal(np.isnan(impute(x, "none")), np.isnan(x))
    table = Table(["A", "B", "C", "D"], ["x1", "x2", "x3", "x4"], np.column_stack([x, x]))
    r = compute(toy_method(), table)
    assert_array_equal(r.imputed, np.isnan(table.values))
    assert_allclose(r.treated[:, 1], [6, 4, 5, 9])


def test_no_imputation_renormalises_weights_over_what_a_unit_has() -> None:
    table = Table(["A", "B", "C"], ["x1", "x2", "x3", "x4"],
                  np.array([[0.0, np.nan, 0.0, 0.0], [5.0, 5.0, 5.0, 5.0], [10.0, 10.0, 10.0, 10.0]]))
    r = compute(toy_method(), table, choices=Choices(imputation="none"))
    assert not r.imputed.any()
    # x2 is normalised over B and C only (B 0, C 100); A's p1 is x1 alone (0), B's p1 = (50 + 0)/2
    assert_allclose(r.pillars, [[0, 0], [25, 50], [100, 100]])
    w = np.array([1.0, 3.0])
    assert_allclose(aggregate(np.array([[2.0, np.nan], [np.nan, np.nan]]), w, "arithmetic"), [2, np.nan])


def test_geometric_needs_positive_values() -> None:
    with pytest.raises(ValueError, match="> 0"):
        aggregate(np.array([[0.0, 1.0]]), np.array([1.0, 1.0]), "geometric")
    many = aggregate(np.array([[1.0, 100.0]]), np.array([[1.0, 1.0], [1.0, 0.0]]), "geometric")
    assert_allclose(many, [[10, 1]])  # runs × weights give units × runs


def test_competition_ranks() -> None:
    assert_array_equal(competition_ranks(np.array([5.0, 7.0, 7.0, 1.0, np.nan])), [3, 1, 1, 4, 5])
    both = competition_ranks(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0 + 1e-12]]))
    assert_array_equal(both, [[3, 1], [2, 2], [1, 3]])
    assert_array_equal(competition_ranks(np.array([1.0, 1.0 + 1e-13])), [1, 1])  # float noise is a tie


def test_codes_must_match_the_method() -> None:
    with pytest.raises(YangfanError, match="missing \\['x4'\\]"):
        compute(toy_method(), Table(["A"], ["x1", "x2", "x3", "x5"], np.ones((1, 4))))
    with pytest.raises(YangfanError, match="order"):
        compute(toy_method(), Table(["A"], ["x2", "x1", "x3", "x4"], np.ones((1, 4))))
    with pytest.raises(YangfanError, match="shape"):
        Table(["A", "B"], ["x1"], np.ones((1, 1)))


def test_strengths_and_weaknesses() -> None:
    r = compute(toy_method(lower=["x2"]), HAND)
    # medians of the normalised columns: 33.3, 50, 50, 50; B is above on x2, x4 (+50), below on none
    assert r.strengths[1] == ["x2", "x4"] and r.weaknesses[1] == []
    assert r.strengths[0] == [] and r.weaknesses[0] == ["x2", "x3", "x4"]
    assert r.strengths[2] == ["x1", "x3"] and r.weaknesses[2] == []


# --- outliers ---


def test_shape_matches_scipy() -> None:
    x = np.random.default_rng(3).lognormal(sigma=1.2, size=(30, 5))
    x[::4, 2] = np.nan
    s, k = shape(x)
    assert_allclose(s, stats.skew(x, axis=0, bias=False, nan_policy="omit"))
    assert_allclose(k, stats.kurtosis(x, axis=0, bias=False, nan_policy="omit"))


SKEWED = np.array([1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 100.0])


def test_outlier_winsorised_only_when_both_thresholds_exceeded() -> None:
    (s,), (k,) = shape(SKEWED[:, None])
    assert s > 2 and k > 3.5
    treated, report = treat_outliers(SKEWED[:, None])
    assert report == [[11]] and treated[11, 0] == 6  # the extreme takes the next value, then the column passes
    for skew, kurt in ((s + 0.01, 0.0), (0.0, k + 0.01)):  # one threshold not exceeded: untouched
        same, none = treat_outliers(SKEWED[:, None], skew, kurt)
        assert none == [[]]
        assert_array_equal(same, SKEWED[:, None])


def test_outlier_report_names_units_and_respects_max_points() -> None:
    x = np.concatenate([1 + np.arange(20) * 0.1, [40.0, 60.0, 80.0]])  # three outliers above twenty values
    assert treat_outliers(x[:, None])[1] == [[20, 21, 22]]
    assert treat_outliers(x[:, None], max_points=2)[1] == [[21, 22]]  # 80 → 60, then 60 and 60 → 40
    table = Table([f"u{i}" for i in range(23)], ["x1", "x2", "x3", "x4"], np.column_stack([x, x, -x, np.arange(23.0)]))
    r = compute(toy_method(), table)
    assert r.outliers == {"x1": ["u20", "u21", "u22"], "x2": ["u20", "u21", "u22"], "x3": ["u20", "u21", "u22"]}


columns = st.lists(st.floats(-1e3, 1e3), min_size=0, max_size=30).flatmap(
    lambda base: st.lists(st.floats(1e3, 1e6), max_size=4).map(lambda big: np.array(base + big)))


@settings(max_examples=150, deadline=None)
@given(columns, st.integers(0, 6))
def test_outlier_treatment_laws(x: np.ndarray, max_points: int) -> None:
    treated, report = treat_outliers(x[:, None], max_points=max_points)
    y = treated[:, 0]
    if x.size:
        assert y.min() >= x.min() and y.max() <= x.max()  # within the input's range
    assert np.all((x[:, None] <= x[None, :]) <= (y[:, None] <= y[None, :]))  # order kept (ties may form)
    assert report[0] == np.flatnonzero(y != x).tolist() and len(report[0]) <= max_points
    (s,), (k,) = shape(x[:, None])
    if not (abs(s) > 2 and k > 3.5):
        assert_array_equal(y, x)
