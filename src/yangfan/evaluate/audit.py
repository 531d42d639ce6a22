"""The audit of the index (JRC COIN practice): correlations, effective weights, uncertainty and sensitivity.

The uncertainty analysis is a Monte Carlo over the method's choices. Runs are grouped by their discrete
choices (normalisation × aggregation × imputation); each group's matrix is built once and all its runs'
scores are one matrix product, their ranks one sort per column.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from yangfan.errors import Issue, Location
from yangfan.evaluate.composite import (
    Result,
    Table,
    aggregate_two_level,
    check_table,
    competition_ranks,
    compute,
    prepare,
    treat_outliers,
)
from yangfan.evaluate.method import Aggregation, Choices, Imputation, Method, Normalisation

#: COIN flags an indicator that correlates with its own pillar below this (or negatively).
WEAK_CORRELATION = 0.3
#: Pairs of indicators correlated above this are flagged as collinear (double counting).
COLLINEAR = 0.92
#: Below this many units the main effect is estimated by Pearson's r² (a linear, first-order approximation);
#: a kernel smoother has too few points to follow a curve.
SMOOTHER_MIN_UNITS = 20
#: The choice dimensions of the uncertainty and sensitivity analyses.
DIMENSIONS = ("weights", "normalisation", "aggregation", "imputation")
#: Runs scored together: bounds the units × runs × pillars temporaries (a few MB each at 340 units).
RUN_BLOCK = 256


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlations of the columns of ``a`` with those of ``b`` over the rows where both are present
    (pairwise complete, as matrix products); NaN where a column does not vary."""
    ma, mb = (~np.isnan(a)).astype(float), (~np.isnan(b)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a0 = np.nan_to_num(a - np.nanmean(a, axis=0))  # centring first keeps the one-pass sums accurate
        b0 = np.nan_to_num(b - np.nanmean(b, axis=0))
    n = ma.T @ mb
    sa, sb = a0.T @ mb, ma.T @ b0
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = a0.T @ b0 - sa * sb / n
        va = (a0**2).T @ mb - sa**2 / n
        vb = ma.T @ (b0**2) - sb**2 / n
        r = cov / np.sqrt(va * vb)
    tiny = 1e-12 * (1 + np.abs(a0).max(initial=0) ** 2 + np.abs(b0).max(initial=0) ** 2)
    return np.where((va > tiny) & (vb > tiny) & (n > 2), np.clip(r, -1, 1), np.nan)


@dataclass(frozen=True, slots=True)
class Correlations:
    """Correlations of the normalised indicators: with each other, with their pillar and with the index."""

    codes: list[str]
    matrix: np.ndarray
    with_pillar: np.ndarray
    with_index: np.ndarray
    #: Warnings: indicators weakly or negatively tied to their pillar, collinear pairs.
    flags: list[Issue]


def correlations(result: Result) -> Correlations:
    """Pearson correlations of ``result``'s normalised indicators, flagged by COIN's checks."""
    x, codes, method = result.normalised, result.codes, result.method
    matrix = _pearson(x, x)
    pil = method.pillar_index
    with_pillar = np.diag(_pearson(x, result.pillars[:, pil]))
    with_index = _pearson(x, result.scores[:, None])[:, 0]
    flags = []
    for j, code in enumerate(codes):
        r = with_pillar[j]
        if np.isnan(r) or r < WEAK_CORRELATION:
            pillar = method.indicators[j].pillar
            flags.append(Issue(
                "evaluate.weak_correlation",
                f"指标 {code} 与所属维度 {pillar} 的相关系数为 {r:.2f}，低于 {WEAK_CORRELATION} 或为负："
                "该指标几乎不影响维度得分",
                f"{code} correlates {r:.2f} with its pillar {pillar}, below {WEAK_CORRELATION} or negative: "
                "it barely moves the pillar score", Location(entry=code), "warning"))
    for i, j in zip(*np.nonzero(np.triu(matrix > COLLINEAR, k=1)), strict=True):
        flags.append(Issue(
            "evaluate.collinear",
            f"指标 {codes[i]} 与 {codes[j]} 的相关系数为 {matrix[i, j]:.2f}，高于 {COLLINEAR}：可能重复计算",
            f"{codes[i]} and {codes[j]} correlate {matrix[i, j]:.2f}, above {COLLINEAR}: possible double counting",
            Location(entry=f"{codes[i]}, {codes[j]}"), "warning"))
    return Correlations(list(codes), matrix, with_pillar, with_index, flags)


@dataclass(frozen=True, slots=True)
class EffectiveWeight:
    """An indicator's nominal share of the index beside its measured influence on it."""

    code: str
    pillar: str
    #: Pillar weight × weight within the pillar; the nominal weights sum to 1.
    nominal: float
    #: The main effect S_i = Var(E[index | x_i]) / Var(index), in [0, 1].
    raw: float
    #: ``raw`` normalised so that the indicators' effective weights sum to 1.
    effective: float


def _bandwidth(x: np.ndarray) -> float:
    """Silverman's rule of thumb, with the sd when the interquartile range is 0 (many tied values)."""
    sd = float(np.std(x, ddof=1))
    iqr = float(np.subtract(*np.percentile(x, [75, 25])))
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    return 0.9 * spread * float(x.size ** -0.2)


def _local_linear(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """E[y | x] at each x by local-linear kernel regression (Gaussian kernel): n × n matrices, no loop."""
    h = _bandwidth(x)
    dx = x[None, :] - x[:, None]
    k = np.exp(-0.5 * (dx / h) ** 2)
    s1, s2 = (k * dx).sum(axis=1), (k * dx**2).sum(axis=1)
    w = k * (s2[:, None] - dx * s1[:, None])
    den = w.sum(axis=1)
    # Where the neighbours share one x the local line is undefined: fall back to the kernel mean there.
    flat = den <= 1e-12 * k.sum(axis=1) * s2
    w = np.where(flat[:, None], k, w)
    out: np.ndarray = (w @ y) / w.sum(axis=1)
    return out


def main_effects(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """First-order sensitivity index of ``y`` on each column of ``x``: S_i = Var(E[y | x_i]) / Var(y).

    With at least SMOOTHER_MIN_UNITS units, E[y | x_i] is a local-linear kernel regression (the nonparametric
    main effect of Paruolo, Saisana & Saltelli 2013); with fewer, Pearson's r² (exact for a linear relation).
    """
    n = np.count_nonzero(~np.isnan(y))
    if n < SMOOTHER_MIN_UNITS:
        r2: np.ndarray = np.nan_to_num(_pearson(x, y[:, None])[:, 0] ** 2)
        return r2
    out = np.zeros(x.shape[1])
    for j in range(x.shape[1]):  # one n × n smoother per indicator
        ok = ~np.isnan(x[:, j]) & ~np.isnan(y)
        xj, yj = x[ok, j], y[ok]
        if xj.size < SMOOTHER_MIN_UNITS or np.ptp(xj) == 0 or np.var(yj) == 0:
            continue
        out[j] = np.var(_local_linear(xj, yj)) / np.var(yj)
    return np.clip(out, 0.0, 1.0)


def effective_weights(result: Result) -> list[EffectiveWeight]:
    """Each indicator's actual influence on the index beside its nominal weight (the weights' "importance")."""
    raw = main_effects(result.normalised, result.scores)
    total = raw.sum()
    effective = raw / total if total > 0 else np.full(raw.shape, np.nan)  # an index that does not vary
    return [EffectiveWeight(code, ind.pillar, float(nom), float(r), float(e))
            for code, ind, nom, r, e in zip(result.codes, result.method.indicators, result.weights, raw, effective,
                                            strict=True)]


@dataclass(frozen=True, slots=True)
class Runs:
    """The Monte Carlo's runs: sampled weights and, per run, indices into the options of each discrete choice."""

    weights: np.ndarray
    normalisation: tuple[Normalisation, ...]
    aggregation: tuple[Aggregation, ...]
    imputation: tuple[Imputation, ...]
    #: runs × 3: picks of normalisation, aggregation, imputation.
    picks: np.ndarray

    def choices(self, run: int) -> Choices:
        """The choices of one run, as ``compute`` takes them."""
        n, a, i = self.picks[run]
        return Choices(self.normalisation[n], self.aggregation[a], self.imputation[i],
                       tuple(self.weights[run].tolist()))


def sample_runs(method: Method, runs: int, rng: np.random.Generator) -> Runs:
    """Draw the runs: each indicator's weight uniformly within its range, each choice uniformly among its options."""
    u = method.uncertainty
    if u.weights:
        lo, hi = np.array([i.weight_range for i in method.indicators], dtype=float).T
        weights = rng.uniform(lo, hi, size=(runs, len(method.indicators)))
    else:
        weights = np.tile([i.weight for i in method.indicators], (runs, 1)).astype(float)
    picks = np.column_stack([rng.integers(len(options), size=runs)
                             for options in (u.normalisation, u.aggregation, u.imputation)])
    return Runs(weights, u.normalisation, u.aggregation, u.imputation, picks)


def _treated(method: Method, table: Table) -> np.ndarray:
    check_table(method, table)
    o = method.outliers
    return treat_outliers(table.values, o.skewness, o.kurtosis, o.max_points)[0]


def rank_runs(method: Method, treated: np.ndarray, runs: Runs) -> np.ndarray:
    """Ranks of every run (runs × units): one matrix per choice combination, one product for its runs."""
    n_agg, n_imp = len(runs.aggregation), len(runs.imputation)
    combo = (runs.picks[:, 0] * n_agg + runs.picks[:, 1]) * n_imp + runs.picks[:, 2]
    ranks = np.empty((runs.weights.shape[0], treated.shape[0]), dtype=np.int64)
    pillar_index, pillar_weights = method.pillar_index, method.pillar_weights()
    for c in np.unique(combo):
        group = np.flatnonzero(combo == c)
        choices = runs.choices(int(group[0]))
        _, _, matrix = prepare(method, treated, choices)
        for start in range(0, group.size, RUN_BLOCK):
            which = group[start:start + RUN_BLOCK]
            _, scores = aggregate_two_level(matrix, runs.weights[which], pillar_index, pillar_weights,
                                            choices.aggregation)
            ranks[which] = competition_ranks(scores).T
    return ranks


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """Rank intervals of the Monte Carlo: per unit the median, 5th and 95th percentile rank.

    Percentiles are order statistics of the integer ranks: p5 the lower, p95 the higher and the median the
    nearest (numpy's ``lower``/``higher``/``nearest``), so the interval never shrinks by interpolation and
    p5 ≤ median ≤ p95 always.
    """

    units: list[str]
    runs: int
    seed: int
    nominal: np.ndarray
    median: np.ndarray
    p5: np.ndarray
    p95: np.ndarray
    #: Mean |rank − nominal rank| over the runs.
    mean_shift: np.ndarray
    #: Every run's ranks, runs × units.
    ranks: np.ndarray

    def __repr__(self) -> str:
        return f"Uncertainty({len(self.units)} units, {self.runs} runs, seed {self.seed})"


def _summary(units: list[str], nominal: np.ndarray, ranks: np.ndarray, seed: int) -> Uncertainty:
    def pct(q: float, how: Literal["lower", "higher", "nearest"]) -> np.ndarray:
        return np.asarray(np.percentile(ranks, q, axis=0, method=how), dtype=np.int64)

    return Uncertainty(list(units), ranks.shape[0], seed, nominal, pct(50, "nearest"), pct(5, "lower"),
                       pct(95, "higher"), np.abs(ranks - nominal).mean(axis=0), ranks)


def uncertainty(method: Method, table: Table, runs: int | None = None, seed: int | None = None) -> Uncertainty:
    """Monte Carlo over the method's choices (its ``uncertainty`` settings unless ``runs``/``seed`` are given);
    reproducible for a seed."""
    runs = method.uncertainty.runs if runs is None else runs
    seed = method.uncertainty.seed if seed is None else seed
    treated = _treated(method, table)
    sampled = sample_runs(method, runs, np.random.default_rng(seed))
    return _summary(table.units, compute(method, table).ranks, rank_runs(method, treated, sampled), seed)


def naive_uncertainty(method: Method, table: Table, runs: int | None = None, seed: int | None = None) -> Uncertainty:
    """The same Monte Carlo, one ``compute`` per run: the benchmark's baseline and the vectorised one's check."""
    runs = method.uncertainty.runs if runs is None else runs
    seed = method.uncertainty.seed if seed is None else seed
    check_table(method, table)
    sampled = sample_runs(method, runs, np.random.default_rng(seed))
    ranks = np.array([compute(method, table, choices=sampled.choices(r)).ranks for r in range(runs)])
    return _summary(table.units, compute(method, table).ranks, ranks.reshape(runs, len(table.units)), seed)


_C = TypeVar("_C", bound=str)


def _options(nominal: _C, options: tuple[_C, ...]) -> tuple[_C, ...]:
    return options if nominal in options else (*options, nominal)


def sensitivity(method: Method, table: Table, runs: int | None = None, seed: int | None = None
                ) -> list[tuple[str, float]]:
    """Which choice moves the ranks most: per dimension, the mean |rank − nominal rank| over units when only it
    varies (the others at their nominal values), largest first.

    Weights: ``runs`` sampled weight vectors. A discrete choice: each of its options once (the exact mean of
    sampling them uniformly).
    """
    runs = method.uncertainty.runs if runs is None else runs
    seed = method.uncertainty.seed if seed is None else seed
    treated = _treated(method, table)
    nominal = compute(method, table).ranks
    n, u = method.nominal, method.uncertainty
    norms, aggs = _options(n.normalisation, u.normalisation), _options(n.aggregation, u.aggregation)
    imps = _options(n.imputation, u.imputation)
    options: tuple[tuple[str, ...], ...] = (norms, aggs, imps)
    base = np.array([norms.index(n.normalisation), aggs.index(n.aggregation), imps.index(n.imputation)])
    nominal_weights = np.array([i.weight for i in method.indicators], dtype=float)
    sampled = sample_runs(method, runs, np.random.default_rng(seed)).weights
    out = []
    for dim in DIMENSIONS:
        if dim == "weights":
            if not u.weights:
                continue
            weights, picks = sampled, np.tile(base, (runs, 1))
        else:
            axis = DIMENSIONS.index(dim) - 1
            varied = getattr(u, dim)
            picks = np.tile(base, (len(varied), 1))
            picks[:, axis] = [options[axis].index(v) for v in varied]
            weights = np.tile(nominal_weights, (len(varied), 1))
        ranks = rank_runs(method, treated, Runs(weights, norms, aggs, imps, picks))
        out.append((dim, float(np.abs(ranks - nominal).mean())))
    return sorted(out, key=lambda item: -item[1])
