"""Benchmark: the uncertainty analysis of the 扬帆之城 index, vectorised against one ``compute`` per run.

Data: synthetic, fixed seed — ~340 cities (the prefecture-level units) × 30 indicators in 5 pillars of 6, built
in code (not the YAML): equal weights, ranges ±50 %, every 5th indicator lower-is-better, two with a target.
Values are log-normal with spreads from 0.3 to 1.2, 3 % missing at random, and one Pareto column (a few huge
cities) that the outlier rule winsorises.

Phases, in one process:
  compute      the nominal index once (outliers, imputation, normalisation, aggregation, ranks)
  vectorised   ``audit.uncertainty``: N runs (weights in their ranges × 2 normalisations × 2 aggregations ×
               2 imputations), grouped by the 8 choice combinations, scores as matrix products, ranks by sort
  naive        ``audit.naive_uncertainty``: a Python loop calling ``compute`` per run, on fewer runs (default
               50), extrapolated per run to N — the baseline
  check        the vectorised ranks equal the naive ones for those same runs (same seed)
  audit        ``sensitivity`` (N weight draws + each discrete option), ``effective_weights``, ``correlations``

    .venv/bin/python benchmarks/evaluate_bench.py [--cities 340] [--indicators 30] [--runs 1000] [--naive-runs 50]

Goal: the vectorised analysis of 340 × 30 × 1,000 runs in under 60 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date
from pathlib import Path

import numpy as np

from yangfan.evaluate.audit import correlations, effective_weights, naive_uncertainty, sensitivity, uncertainty
from yangfan.evaluate.composite import Table, compute
from yangfan.evaluate.method import Indicator, Method, Pillar, UncertaintySettings

ROOT = Path(__file__).resolve().parents[1]
PILLARS = 5
GOAL_S = 60.0


def build_method(indicators: int, runs: int) -> Method:
    """A method of ``indicators`` indicators spread over five equal pillars."""
    pillars = tuple(Pillar(f"p{k}", f"维度{k}", f"pillar {k}", 1 / PILLARS) for k in range(PILLARS))
    return Method(
        "bench", 2025, "基准测试方法", "benchmark method", pillars,
        tuple(Indicator(f"i{j:02d}", f"指标{j}", f"indicator {j}", f"p{j % PILLARS}",
                        -1 if j % 5 == 4 else 1, 1.0, (0.5, 1.5), "synthetic",
                        target=3.0 if j in (0, 1) else None)
              for j in range(indicators)),
        uncertainty=UncertaintySettings(runs=runs, seed=2025),
    )


def build_table(method: Method, cities: int, seed: int = 2025) -> Table:
    """Log-normal values, 3 % missing, the last indicator a Pareto column."""
    rng = np.random.default_rng(seed)
    k = len(method.indicators)
    values = rng.lognormal(mean=1.0, sigma=np.linspace(0.3, 1.2, k), size=(cities, k))
    values[:, -1] = rng.pareto(1.5, size=cities) + 1
    values[rng.random(values.shape) < 0.03] = np.nan
    return Table([f"city{u:03d}" for u in range(cities)], method.codes, values)


def _timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cities", type=int, default=340, help="units (default 340)")
    p.add_argument("--indicators", type=int, default=30, help="indicators, in five pillars (default 30)")
    p.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs (default 1,000)")
    p.add_argument("--naive-runs", type=int, default=50, help="runs of the naive loop, extrapolated (default 50)")
    args = p.parse_args()

    method = build_method(args.indicators, args.runs)
    table = build_table(method, args.cities)
    uncertainty(method, table, runs=10)  # warm-up: imports, BLAS threads

    result, t_compute = _timed(compute, method, table)
    fast, t_fast = _timed(uncertainty, method, table)
    slow, t_slow = _timed(naive_uncertainty, method, table, runs=args.naive_runs)
    same = uncertainty(method, table, runs=args.naive_runs)
    if not np.array_equal(same.ranks, slow.ranks):
        raise SystemExit("the vectorised ranks differ from the naive ones for the same runs")
    sens, t_sens = _timed(sensitivity, method, table)
    _, t_eff = _timed(effective_weights, result)
    corr, t_corr = _timed(correlations, result)

    per_run_naive = t_slow / args.naive_runs
    naive_full = per_run_naive * args.runs
    figures = {
        "cities": args.cities, "indicators": args.indicators, "runs": args.runs, "naive_runs": args.naive_runs,
        "compute_s": t_compute, "vectorised_s": t_fast, "vectorised_per_run_ms": 1000 * t_fast / args.runs,
        "naive_s": t_slow, "naive_per_run_ms": 1000 * per_run_naive, "naive_extrapolated_s": naive_full,
        "speed_up": naive_full / t_fast, "sensitivity_s": t_sens, "effective_weights_s": t_eff,
        "correlations_s": t_corr, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "winsorised": {c: len(u) for c, u in result.outliers.items()}, "flags": len(corr.flags),
        "sensitivity": dict(sens),
    }
    print(f"{args.cities} cities × {args.indicators} indicators, {args.runs} runs")
    print(f"  compute (nominal, once)   {1000 * t_compute:8.1f} ms")
    print(f"  vectorised uncertainty    {t_fast:8.3f} s   ({figures['vectorised_per_run_ms']:.3f} ms a run)"
          f"   goal < {GOAL_S:.0f} s {'✓' if t_fast < GOAL_S else '✗'}")
    print(f"  naive, {args.naive_runs} runs           {t_slow:8.3f} s   ({figures['naive_per_run_ms']:.2f} ms a run;"
          f" {naive_full:.1f} s extrapolated to {args.runs})")
    print(f"  speed-up                  {figures['speed_up']:8.1f} ×   (ranks equal on the {args.naive_runs} runs ✓)")
    print(f"  sensitivity               {t_sens:8.3f} s   {', '.join(f'{d} {s:.2f}' for d, s in sens)}")
    print(f"  effective weights         {1000 * t_eff:8.1f} ms;  correlations {1000 * t_corr:.1f} ms"
          f" ({len(corr.flags)} flags);  winsorised {figures['winsorised']}")
    print(f"  peak RSS                  {figures['peak_rss_mb']:8.0f} MB")
    out = ROOT / "benchmarks" / "results" / f"evaluate_{date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
