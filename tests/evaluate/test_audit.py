"""The audit: correlations, effective weights, and the Monte Carlo of ranks (vectorised against one run at a time)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from tests.evaluate.test_composite import toy_method
from yangfan.evaluate.audit import (
    DIMENSIONS,
    correlations,
    effective_weights,
    naive_uncertainty,
    sensitivity,
    uncertainty,
)
from yangfan.evaluate.composite import Table, compute
from yangfan.evaluate.method import Method

PILLARS = {"p1": ["a", "b", "c"], "p2": ["d", "e"], "p3": ["f", "g", "h"]}


def random_table(method: Method, units: int, seed: int = 7, missing: float = 0.05) -> Table:
    """Skewed positive values with a few gaps, one column per indicator of ``method``."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(size=(units, len(method.indicators)))
    values[rng.random(values.shape) < missing] = np.nan
    return Table([f"city{i:02d}" for i in range(units)], method.codes, values)


@pytest.fixture(scope="module")
def method() -> Method:
    return toy_method(PILLARS, lower=["b", "g"])


@pytest.mark.parametrize("units", [8, 40])  # r² below 20 units, the kernel smoother from 20 on
def test_effective_weights_sum_to_one(method: Method, units: int) -> None:
    weights = effective_weights(compute(method, random_table(method, units)))
    assert [w.code for w in weights] == method.codes
    assert sum(w.nominal for w in weights) == pytest.approx(1)
    assert sum(w.effective for w in weights) == pytest.approx(1)
    assert all(0 <= w.raw <= 1 for w in weights)


def test_effective_weight_follows_influence() -> None:
    m = toy_method({"p1": ["a"], "p2": ["b", "c", "d"]})
    # a carries half the index alone; b, c, d share the other half
    weights = {w.code: w for w in effective_weights(compute(m, random_table(m, 60, missing=0)))}
    assert weights["a"].nominal == pytest.approx(0.5)
    assert weights["a"].effective > max(weights[c].effective for c in "bcd")


def test_correlation_flags(method: Method) -> None:
    table = random_table(method, 30, missing=0)
    values = table.values.copy()
    values[:, 0] = values[:, 5] = np.linspace(1, 2, 30)
    values[:, 1] = 3 - values[:, 0]  # b is lower-is-better: normalised, it is a
    values[:, 6] = 3 - values[:, 5]  # g likewise is f
    values[:, 7] = 3 - values[:, 5]  # h is higher-is-better: 100 − f, so p3 = (f + f + 100 − f)/3 rises with f
    c = correlations(compute(method, Table(table.units, table.codes, values)))
    assert c.matrix.shape == (8, 8)
    assert np.allclose(np.diag(c.matrix), 1)
    assert c.with_pillar[7] == pytest.approx(-1)
    flags = {(f.code, f.location.entry) for f in c.flags}
    assert ("evaluate.weak_correlation", "h") in flags
    assert ("evaluate.collinear", "a, b") in flags and ("evaluate.collinear", "f, g") in flags
    assert all(f.level == "warning" and f.message_zh and f.message_en for f in c.flags)
    assert c.with_index.shape == (8,)


def test_dominant_city_is_always_first(method: Method) -> None:
    table = random_table(method, 12, missing=0.1)
    values = table.values.copy()
    direction = np.array([i.direction for i in method.indicators])
    # strictly better than every other city on every indicator, direction respected
    values[3] = np.where(direction > 0, np.nanmax(values, axis=0) * 1.5, np.nanmin(values, axis=0) * 0.5)
    u = uncertainty(method, Table(table.units, table.codes, values), runs=200, seed=1)
    assert (u.p5[3], u.median[3], u.p95[3]) == (1, 1, 1)


def test_reproducible_with_a_seed(method: Method) -> None:
    table = random_table(method, 15)
    a, b = uncertainty(method, table, runs=100, seed=11), uncertainty(method, table, runs=100, seed=11)
    assert_array_equal(a.ranks, b.ranks)
    assert (a.runs, a.seed) == (100, 11)
    assert not np.array_equal(a.ranks, uncertainty(method, table, runs=100, seed=12).ranks)


def test_vectorised_equals_naive(method: Method) -> None:
    table = random_table(method, 10)
    fast, slow = uncertainty(method, table, runs=60, seed=5), naive_uncertainty(method, table, runs=60, seed=5)
    assert_array_equal(fast.ranks, slow.ranks)
    assert_array_equal(fast.median, slow.median)
    assert len(np.unique(fast.ranks, axis=0)) > 1  # the runs really differ


def test_rank_intervals(method: Method) -> None:
    table = random_table(method, 20)
    u = uncertainty(method, table, runs=150, seed=3)
    assert u.ranks.shape == (150, 20)
    assert np.all((u.p5 <= u.median) & (u.median <= u.p95))
    assert u.median.dtype.kind == "i" and u.p5.min() >= 1 and u.p95.max() <= 20
    assert_array_equal(u.nominal, compute(method, table).ranks)
    assert np.all(u.mean_shift >= 0)


def test_sensitivity_is_sorted(method: Method) -> None:
    out = sensitivity(method, random_table(method, 15), runs=50, seed=2)
    assert sorted(d for d, _ in out) == sorted(DIMENSIONS)
    shifts = [s for _, s in out]
    assert shifts == sorted(shifts, reverse=True) and all(s >= 0 for s in shifts)
