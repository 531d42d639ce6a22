"""The composite index (综合指数): outliers → imputation → normalisation → two-level aggregation → ranks.

Steps follow the JRC/OECD Handbook (2008) and COIN's practice. Every step works on whole matrices (units ×
indicators); the only loops run over indicators or pillars, never over units.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from yangfan.errors import Location, YangfanError
from yangfan.evaluate.method import Aggregation, Choices, Imputation, Method, Normalisation

#: Scores are rounded to this many decimals before ranking, so that float noise (e.g. the order of a BLAS
#: sum) neither splits a tie nor makes one.
RANK_DECIMALS = 9
#: How many strengths and weaknesses a unit's profile names.
PROFILE_SIZE = 3


@dataclass(frozen=True, slots=True)
class Table:
    """Indicator values of units (cities): ``values[u, j]`` is unit ``u``'s value of ``codes[j]``; NaN = missing."""

    units: list[str]
    codes: list[str]
    values: np.ndarray

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float)
        if values.shape != (len(self.units), len(self.codes)):
            raise YangfanError.single(
                "evaluate.table_shape", f"数据表形状 {values.shape} 与单位数 × 指标数不符",
                f"table shape {values.shape} is not units × codes ({len(self.units)} × {len(self.codes)})")
        if len(set(self.units)) != len(self.units):
            raise YangfanError.single("evaluate.table_units", "数据表的单位重复", "the table repeats a unit")
        object.__setattr__(self, "values", values)


@dataclass(frozen=True, slots=True)
class Result:
    """The index of one set of choices: scores, ranks, pillar scores and what was done to the data."""

    method: Method
    choices: Choices
    units: list[str]
    codes: list[str]
    #: Index score per unit (the scale of the normalisation; [1, 100] for geometric aggregation).
    scores: np.ndarray
    #: 1 = best; tied scores share the best rank of the tie ("1224" competition ranking).
    ranks: np.ndarray
    #: Pillar scores, units × pillars in the method's order.
    pillars: np.ndarray
    #: Normalised indicators (direction applied: higher is better), units × indicators.
    normalised: np.ndarray
    #: Each indicator's share of the index used (pillar weight × weight within the pillar); sums to 1.
    weights: np.ndarray
    #: Values after outlier treatment and imputation: the input of the normalisation.
    treated: np.ndarray
    imputed: np.ndarray
    #: Indicator code → units whose value was winsorised.
    outliers: dict[str, list[str]] = field(default_factory=dict)
    strengths: list[list[str]] = field(default_factory=list)
    weaknesses: list[list[str]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Result({len(self.units)} units, {self.choices.normalisation}/{self.choices.aggregation})"


def shape(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and excess kurtosis of each column, missing values ignored: the bias-corrected estimators of
    ``scipy.stats.skew``/``kurtosis`` with ``bias=False`` (G1, G2; COIN's), for all columns at once.
    NaN where a column has too few values (3 for skewness, 4 for kurtosis) or does not vary."""
    x = np.asarray(values, dtype=float)
    n = np.count_nonzero(~np.isnan(x), axis=0).astype(float)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0)
        d = x - mean
        d2 = d * d
        m2, m3, m4 = (np.nansum(power, axis=0) / n for power in (d2, d2 * d, d2 * d2))
        flat = m2 <= (np.finfo(float).eps * mean) ** 2  # scipy's test for a constant column
        g1 = m3 / m2**1.5
        skew = np.where((n > 2) & ~flat, g1 * np.sqrt(n * (n - 1)) / (n - 2), np.nan)
        kurt = np.where((n > 3) & ~flat, ((n * n - 1) * m4 / m2**2 - 3 * (n - 1) ** 2) / ((n - 2) * (n - 3)), np.nan)
    return skew, kurt


def treat_outliers(
    values: np.ndarray, skew: float = 2.0, kurt: float = 3.5, max_points: int = 5
) -> tuple[np.ndarray, list[list[int]]]:
    """Winsorise the indicators that fail COIN's rule; returns the treated copy and, per indicator, the rows
    (units) that were changed.

    While a column's |skewness| > ``skew`` and excess kurtosis > ``kurt``, its extreme value on the skewed side
    (every unit holding it) is set to the next value, and the test runs again; a column stops before more than
    ``max_points`` units would be treated. All columns step together. Missing values stay missing.
    """
    x = np.array(values, dtype=float, copy=True)
    treated = np.zeros(x.shape, dtype=bool)
    for _ in range(max_points):  # every step treats at least one more unit of each column it changes
        s, k = shape(x)
        fail = (np.abs(s) > skew) & (k > kurt)  # NaN (too few values, constant) never fails
        if not fail.any():
            break
        up = s > 0
        y = np.where(up, x, -x)  # the extreme is then always the maximum
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
            top = np.nanmax(y, axis=0)
        hit = (y == top) & fail
        following = np.max(np.where(hit | np.isnan(y), -np.inf, y), axis=0)
        go = fail & ((treated | hit).sum(axis=0) <= max_points)
        hit &= go
        x = np.where(hit, np.where(up, following, -following), x)
        treated |= hit
    return x, [np.flatnonzero(treated[:, j]).tolist() for j in range(x.shape[1])]


def impute(values: np.ndarray, how: Imputation) -> np.ndarray:
    """Fill missing values with the indicator's mean or median; ``none`` leaves them (the aggregation then uses
    the indicators a unit has, its weights re-normalised). A column with no value at all stays missing."""
    x = np.asarray(values, dtype=float)
    if how == "none":
        return x.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing column
        fill = np.nanmean(x, axis=0) if how == "mean" else np.nanmedian(x, axis=0)
    return np.where(np.isnan(x), fill, x)


def _minmax(x: np.ndarray, directions: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(span > 0, 100 * (x - lo) / span, 50.0)  # a constant column: everyone at the middle
    scaled = np.where(directions < 0, 100 - scaled, scaled)
    return np.where(np.isnan(x), np.nan, scaled)


def normalise(
    values: np.ndarray, directions: np.ndarray, how: Normalisation, targets: np.ndarray | None = None
) -> np.ndarray:
    """Put indicators on a common scale where higher is better.

    ``minmax``: 0–100 (a constant column: 50). ``zscore``: mean 0, sd 1 (sample sd; a constant column: 0, the
    mean). ``target``: distance to target, 100·min(x/target, 1) (lower-is-better: 100·min(target/x, 1)),
    clipped at 0; indicators without a target (NaN in ``targets``) fall back to min-max.
    """
    x = np.asarray(values, dtype=float)
    d = np.asarray(directions, dtype=float)
    if how == "minmax":
        return _minmax(x, d)
    if how == "zscore":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, sd = np.nanmean(x, axis=0), np.nanstd(x, axis=0, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(sd > 0, (x - mean) / sd, 0.0)
        return np.where(np.isnan(x), np.nan, z * d)
    t = np.full(x.shape[1], np.nan) if targets is None else np.asarray(targets, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(d > 0, x / t, np.where(x > 0, t / x, 1.0))  # lower is better: at or below 0 meets it
    distance = 100 * np.clip(ratio, 0.0, 1.0)
    return np.where(np.isnan(x), np.nan, np.where(np.isnan(t), _minmax(x, d), distance))


def to_positive(normalised: np.ndarray, how: Normalisation) -> np.ndarray:
    """Map normalised values onto [1, 100] for the geometric mean, which needs values > 0 (as COIN does).

    Min-max and target scores are on a fixed 0–100 scale: 1 + 0.99·x. Z-scores have no fixed scale: one affine
    map of the whole matrix onto [1, 100], so that indicators keep their common z scale (a column-wise map
    would turn them into min-max scores).
    """
    x = np.asarray(normalised, dtype=float)
    if how != "zscore":
        return 1 + 0.99 * x
    present = x[~np.isnan(x)]
    lo, hi = (present.min(), present.max()) if present.size else (0.0, 0.0)
    if hi <= lo:
        return np.where(np.isnan(x), np.nan, 50.0)
    return 1 + 99 * (x - lo) / (hi - lo)


def aggregate(values: np.ndarray, weights: np.ndarray, how: Aggregation) -> np.ndarray:
    """Weighted arithmetic or geometric mean of each row of ``values`` (units × indicators).

    ``weights`` is one vector (→ one score per unit) or runs × indicators (→ units × runs, one matrix product).
    Missing values drop out and the unit's weights are re-normalised over what it has. Geometric needs values > 0.
    """
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    w2 = np.atleast_2d(w)
    present = ~np.isnan(x)
    if how == "geometric":
        if np.any(x[present] <= 0):
            raise ValueError("geometric aggregation needs values > 0: map them to [1, 100] first")
        terms = np.log(np.where(present, x, 1.0))
    else:
        terms = np.where(present, x, 0.0)
    num, den = terms @ w2.T, present.astype(float) @ w2.T
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0, num / den, np.nan)
    out = np.exp(mean) if how == "geometric" else mean
    return out[:, 0] if w.ndim == 1 else out


def aggregate_two_level(
    values: np.ndarray, weights: np.ndarray, pillar_index: np.ndarray, pillar_weights: np.ndarray, how: Aggregation
) -> tuple[np.ndarray, np.ndarray]:
    """Indicators → pillar scores (weights relative within each pillar) → index (pillar weights).

    Returns (pillars, index): units × pillars and units for one weight vector; units × runs × pillars and
    units × runs for runs × indicators weights.
    """
    w = np.asarray(weights, dtype=float)
    w2 = np.atleast_2d(w)
    n_pillars = len(pillar_weights)
    pillars = np.stack([aggregate(values[:, pillar_index == p], w2[:, pillar_index == p], how)
                        for p in range(n_pillars)], axis=-1)
    index = aggregate(pillars.reshape(-1, n_pillars), pillar_weights, how).reshape(pillars.shape[:-1])
    if w.ndim == 1:
        return pillars[:, 0, :], index[:, 0]
    return pillars, index


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks along axis 0 (1 = highest score; ties share the best rank of the tie: 1, 2, 2, 4); NaN ranks last.

    Works on units × runs at once: one sort per column, ties found in the sorted order, ranks scattered back.
    """
    s = np.round(np.where(np.isnan(scores), -np.inf, scores), RANK_DECIMALS)
    order = np.argsort(-s, axis=0, kind="stable")
    ordered = np.take_along_axis(s, order, axis=0)
    position = np.arange(s.shape[0]).reshape((-1,) + (1,) * (s.ndim - 1))
    new = np.ones(s.shape, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(new, position, 0), axis=0)
    ranks = np.empty(s.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=0)
    return ranks


def check_table(method: Method, table: Table) -> None:
    """Refuse a table whose columns are not the method's indicators in the method's order."""
    if table.codes != method.codes:
        missing = [c for c in method.codes if c not in table.codes]
        extra = [c for c in table.codes if c not in method.codes]
        raise YangfanError.single(
            "evaluate.codes", f"数据表的指标须与方法一致且顺序相同（缺少 {missing}，多出 {extra}）",
            f"table columns must be the method's indicators in its order (missing {missing}, extra {extra})",
            Location(field="codes"))


def prepare(method: Method, treated: np.ndarray, choices: Choices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From outlier-treated values to (imputed values, normalised matrix, the matrix the aggregation takes)."""
    directions = np.array([i.direction for i in method.indicators], dtype=float)
    targets = np.array([np.nan if i.target is None else i.target for i in method.indicators], dtype=float)
    filled = impute(treated, choices.imputation)
    norm = normalise(filled, directions, choices.normalisation, targets)
    aggregable = to_positive(norm, choices.normalisation) if choices.aggregation == "geometric" else norm
    return filled, norm, aggregable


def _profile(deviation: np.ndarray, codes: list[str], sign: int) -> list[list[str]]:
    """Per unit, up to PROFILE_SIZE codes with the largest deviations of the given sign (most extreme first)."""
    d = np.where(np.isnan(deviation), 0.0, sign * deviation)
    order = np.argsort(-d, axis=1, kind="stable")[:, :PROFILE_SIZE]
    keep = np.take_along_axis(d, order, axis=1) > 0
    names = np.array(codes, dtype=object)
    return [names[o[k]].tolist() for o, k in zip(order, keep, strict=True)]


def compute(method: Method, table: Table, *, choices: Choices | None = None) -> Result:
    """The index of ``table`` under ``method`` (its nominal choices unless ``choices`` are given).

    Outliers are treated on the observed values before imputation, so that a filled-in mean neither hides nor
    feeds an outlier and the treatment is the same whatever the imputation.

    Strengths and weaknesses: the indicators where the unit's normalised score is furthest above (below) the
    median of all units, at most three of each, only those actually above (below) the median. On the
    normalised scale, so a gap counts as much as the index counts it.
    """
    check_table(method, table)
    c = choices or method.nominal
    if c.weights is not None and len(c.weights) != len(method.indicators):
        raise YangfanError.single("evaluate.weights", "权重个数须与指标个数相同", "one weight per indicator is needed",
                                  Location(field="weights"))
    o = method.outliers
    treated, report = treat_outliers(table.values, o.skewness, o.kurtosis, o.max_points)
    filled, norm, aggregable = prepare(method, treated, c)
    weights = np.array(c.weights if c.weights is not None else [i.weight for i in method.indicators], dtype=float)
    pillars, scores = aggregate_two_level(aggregable, weights, method.pillar_index, method.pillar_weights(),
                                          c.aggregation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing indicator
        deviation = norm - np.nanmedian(norm, axis=0)
    units = list(table.units)
    return Result(
        method=method, choices=c, units=units, codes=list(table.codes), scores=scores,
        ranks=competition_ranks(scores), pillars=pillars, normalised=norm,
        weights=method.nominal_weights(c.weights), treated=filled,
        imputed=np.isnan(table.values) & ~np.isnan(filled),
        outliers={code: [units[r] for r in rows] for code, rows in zip(table.codes, report, strict=True) if rows},
        strengths=_profile(deviation, table.codes, 1), weaknesses=_profile(deviation, table.codes, -1),
    )
