"""Benchmark: full analytics rebuild and derived-indicator queries at national scale.

Synthetic store: every county-level unit (and the 3 prefecture-level cities without counties)
× every monthly summable raw indicator of the catalog
× 60 months × 3 operators (a disaggregation), plus county populations for the vintage years.
Each phase runs in its own process so that its peak memory (ru_maxrss) is its own. The baseline,
in the same run: the same rows exported into DuckDB, queried with hand-written GROUP BY SQL.

    .venv/bin/python benchmarks/analytics_bench.py [--counties N] [--months M] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPERATORS = ("cmcc", "ctcc", "cucc")
DERIVED = ("bs_5g_per_10k", "users_5g_share")
RUNS = 5


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _months(n: int) -> list[str]:
    return [f"{2021 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def _setup() -> tuple[object, object, list[str]]:
    from yangfan.catalog import get_catalog
    from yangfan.geo.orgunits import get_tree

    catalog, tree = get_catalog(), get_tree()
    # The scale of the first runs: 18 monthly summable indicators (the catalog has more since; see README),
    # the inputs of the queried ratios first.
    queried = ["bs_5g", "users_5g_mobile_phone", "users_mobile_phone"]
    monthly = (queried + sorted(c for c, i in catalog.indicators.items() if c not in queried and i.kind == "raw"
                                and i.org_aggregation == "sum" and i.period_type == "month"))[:18]
    return catalog, tree, monthly


def _leaves(tree: object) -> list[str]:
    """Where values are reported: counties, and the cities that have no counties (东莞, 中山, 儋州)."""
    units = tree.units  # type: ignore[attr-defined]
    children = tree.children  # type: ignore[attr-defined]
    return sorted(c for c, u in units.items() if u.level in (2, 3) and not children.get(c))


def phase_load(work: Path, n_counties: int, n_months: int) -> dict[str, float]:
    """Create the store and bulk-load the synthetic rows (setup, not part of the goal)."""
    import random

    from sqlalchemy import text

    from yangfan.store.db import make_engine, migrate, session_scope
    from yangfan.store.repository import ensure_periods, sync_reference

    catalog, tree, monthly = _setup()
    counties = _leaves(tree)[:n_counties]
    months = _months(n_months)
    years = [str(y) for y in range(2020, int(months[-1][:4]) + 1)]
    engine = make_engine(f"sqlite:///{work / 'store.sqlite'}")
    migrate(engine)
    with session_scope(engine) as s:
        sync_reference(s, catalog, tree)  # type: ignore[arg-type]
        ensure_periods(s, months + years)
        s.execute(text("INSERT INTO source (id, kind, title) VALUES (1, 'benchmark', 'synthetic')"))
    t0 = time.perf_counter()
    rng = random.Random(2027)
    con = sqlite3.connect(work / "store.sqlite")
    con.execute("PRAGMA synchronous=OFF")
    sql = ("INSERT INTO data_value (indicator_code, org_unit_code, period_code, disaggregation, value, qualifier, "
           "scope, source_id, status, version, is_current, priority, preferred, note) "
           "VALUES (?, ?, ?, ?, ?, 'exact', '', 1, 'published', 1, 1, 0, 1, '')")
    rows = 0

    def series(ind: str) -> Iterator[tuple[str, str, str, str, float]]:
        # Each county's series grows by 0–3 % a month from its own start, as real stocks do: the rebuild's
        # consistency checks then flag what real data would (nothing), not every value of white noise.
        for c in counties:
            for op in OPERATORS:
                value, growth = float(rng.randrange(1_000, 5_000)), rng.uniform(0.0, 0.03)
                for m in months:
                    yield ind, c, m, f"operator={op}", float(round(value))
                    value *= 1 + growth

    with con:
        for ind in monthly:
            con.executemany(sql, series(ind))
            rows += len(counties) * len(months) * len(OPERATORS)
        con.executemany(sql, (("population", c, y, "", float(rng.randrange(50_000, 2_000_000)))
                              for c in counties for y in years))
        rows += len(counties) * len(years)
    con.close()
    return {"rows": rows, "indicators": len(monthly), "counties": len(counties), "months": len(months),
            "load_s": time.perf_counter() - t0, "rss_mb": _rss_mb()}


def phase_rebuild(work: Path) -> dict[str, float]:
    """Yangfan's full rebuild: export from the store + cube."""
    from yangfan.analytics.cube import rebuild
    from yangfan.store.db import make_engine

    catalog, tree, _ = _setup()
    t0 = time.perf_counter()
    store = make_engine(f"sqlite:///{work / 'store.sqlite'}")
    stats = rebuild(store, work / "analytics.duckdb", catalog, tree)  # type: ignore[arg-type]
    return {**stats, "wall_s": time.perf_counter() - t0, "rss_mb": _rss_mb()}


def phase_baseline_load(work: Path) -> dict[str, float]:
    """Baseline 'rebuild': the same rows exported into a DuckDB table and an ancestor map, nothing more."""
    import duckdb
    import pyarrow as pa

    from yangfan.analytics.export import export_facts
    from yangfan.store.db import make_engine

    _, tree, _ = _setup()
    t0 = time.perf_counter()
    facts = export_facts(make_engine(f"sqlite:///{work / 'store.sqlite'}").url)
    leaves = _leaves(tree)
    city = {c: c if tree.units[c].level == 2 else tree.units[c].parent for c in leaves}  # type: ignore[attr-defined]
    anc = pa.table({"county": leaves, "city": [city[c] for c in leaves],
                    "province": [tree.units[city[c]].parent for c in leaves]})  # type: ignore[attr-defined]
    path = work / "baseline.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.register("f", facts)
    con.register("a", anc)
    con.execute("CREATE TABLE facts AS SELECT * FROM f")
    con.execute("CREATE TABLE anc AS SELECT * FROM a")
    con.close()
    return {"wall_s": time.perf_counter() - t0, "rss_mb": _rss_mb()}


HAND_SQL = {
    # Hand-written: sum numerator and denominator over the counties of each unit, divide, scale.
    "bs_5g_per_10k": ("bs_5g", "population", 10_000),
    "users_5g_share": ("users_5g_mobile_phone", "users_mobile_phone", 100),
}


def _hand_query(con: object, indicator: str, level: str, months: list[str]) -> list[tuple[object, ...]]:
    num, den, scale = HAND_SQL[indicator]
    key = "'100000'" if level == "nation" else f"a.{level}"
    period_list = ", ".join(f"'{m}'" for m in months)
    if den == "population":  # the previous year end (the engine is set to the same vintage)
        den_sql = f"""SELECT {key} AS unit, CAST(CAST(f.period AS INT) + 1 AS VARCHAR) AS yr, sum(f.value) AS d
                      FROM facts f JOIN anc a ON a.county = f.org_unit WHERE f.indicator = 'population'
                      GROUP BY 1, 2"""
        join = "d.unit = n.unit AND d.yr = substr(n.period, 1, 4)"
    else:
        den_sql = f"""SELECT {key} AS unit, f.period, sum(f.value) AS d FROM facts f JOIN anc a ON a.county = f.org_unit
                      WHERE f.indicator = '{den}' AND f.period IN ({period_list}) GROUP BY 1, 2"""
        join = "d.unit = n.unit AND d.period = n.period"
    sql = f"""
        WITH n AS (SELECT {key} AS unit, f.period, sum(f.value) AS v FROM facts f JOIN anc a ON a.county = f.org_unit
                   WHERE f.indicator = '{num}' AND f.period IN ({period_list}) GROUP BY 1, 2),
             d AS ({den_sql})
        SELECT n.unit, n.period, n.v / d.d * {scale} FROM n JOIN d ON {join} ORDER BY 1, 2"""
    return con.execute(sql).fetchall()  # type: ignore[attr-defined, no-any-return]


def _median_time(fn: object) -> tuple[float, object]:
    fn()  # type: ignore[operator]  # warm-up
    times, result = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def phase_queries(work: Path, n_months: int, complete: bool) -> dict[str, object]:
    """Median query times, engine vs hand-written SQL, and a check that both give the same numbers."""
    import duckdb

    from yangfan.analytics.query import Analytics, Query
    from yangfan.analytics.timerules import population_year_rule
    from yangfan.geo.periods import parse_period

    catalog, tree, _ = _setup()
    # The hand-written SQL divides by the previous year end throughout: the engine is told the same.
    a = Analytics(work / "analytics.duckdb", catalog, tree,  # type: ignore[arg-type]
                  population_year_rule("previous_year_end"))
    con = duckdb.connect(str(work / "baseline.duckdb"), read_only=True)
    months = _months(n_months)[-12:]
    units = {"nation": ["100000"],
             "province": [u.code for u in tree.at_level(1)],  # type: ignore[attr-defined]
             "city": [u.code for u in tree.at_level(2)]}  # type: ignore[attr-defined]
    out: dict[str, object] = {}
    for indicator in DERIVED:
        for level, codes in units.items():
            q = Query((indicator,), tuple(codes), tuple(parse_period(m) for m in months))
            t_y, figures = _median_time(lambda q=q: a.run(q))
            t_b, rows = _median_time(lambda i=indicator, lv=level: _hand_query(con, i, lv, months))
            ours = {(f.org_unit, f.period.code): f.value
                    for f in figures if f.value is not None}  # type: ignore[attr-defined]
            theirs = {(str(u), str(p)): float(v) for u, p, v in rows}  # type: ignore[misc]
            if complete:  # a partial run leaves units incomplete, which the engine rightly refuses to sum
                assert ours.keys() == theirs.keys(), f"{indicator}/{level}: different cells"
            bad = [k for k in ours if abs(ours[k] - theirs[k]) > 1e-9 * max(1.0, abs(theirs[k]))]
            assert not bad, f"{indicator}/{level}: engine and hand-written SQL disagree at {bad[:3]}"
            out[f"{indicator}/{level}"] = {"yangfan_s": t_y, "baseline_s": t_b, "cells": len(ours)}
    out["rss_mb"] = _rss_mb()
    return out


def _run_phase(name: str, work: Path, args: argparse.Namespace) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--phase", name, "--work", str(work), "--counties", str(args.counties),
           "--months", str(args.months)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"phase {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _report(load: dict, rebuild: dict, base: dict, queries: dict) -> dict[str, object]:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Analytics benchmark — {load['rows']:,} data values ({load['counties']} counties × "
                    f"{load['indicators']} indicators × {load['months']} months × {len(OPERATORS)} operators "
                    "+ population)")
    for c in ("phase", "yangfan s", "baseline s", "ratio", "peak RSS MB", "goal"):
        t.add_column(c, justify="right" if c != "phase" else "left")
    t.add_row("load store (setup)", f"{load['load_s']:.1f}", "", "", f"{load['rss_mb']:.0f}", "")
    t.add_row("  export from store", f"{rebuild['export_s']:.1f}", "", "", "", "")
    t.add_row("full rebuild", f"{rebuild['total_s']:.1f}", f"{base['wall_s']:.1f}",
              f"{rebuild['total_s'] / base['wall_s']:.2f}", f"{rebuild['rss_mb']:.0f} / {base['rss_mb']:.0f}",
              "≤ 30 s " + ("✓" if rebuild["total_s"] <= 30 else "✗"))
    worst = 0.0
    for key, v in queries.items():
        if key == "rss_mb":
            continue
        ratio = v["yangfan_s"] / v["baseline_s"]
        worst = max(worst, ratio)
        t.add_row(f"query {key} ({v['cells']} cells)", f"{v['yangfan_s'] * 1000:.1f} ms",
                  f"{v['baseline_s'] * 1000:.1f} ms", f"{ratio:.2f}", "", "≤ 2× " + ("✓" if ratio <= 2 else "✗"))
    Console(width=160).print(t)
    print(f"query process peak RSS: {queries['rss_mb']:.0f} MB; cube: {rebuild['cube']:,.0f} cells")
    return {"date": date.today().isoformat(), "load": load, "rebuild": rebuild, "baseline_load": base,
            "queries": queries, "worst_query_ratio": worst}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--counties", type=int, default=10_000)
    p.add_argument("--months", type=int, default=60)
    p.add_argument("--keep", type=Path, help="work in this folder and keep it")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase:
        fn = {"load": lambda: phase_load(args.work, args.counties, args.months),
              "rebuild": lambda: phase_rebuild(args.work), "baseline": lambda: phase_baseline_load(args.work),
              "queries": lambda: phase_queries(args.work, args.months, args.counties >= 2978)}[args.phase]
        print(json.dumps(fn()))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="yangfan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load = _run_phase("load", work, args)
    rebuild = _run_phase("rebuild", work, args)
    base = _run_phase("baseline", work, args)
    queries = _run_phase("queries", work, args)
    result = _report(load, rebuild, base, queries)
    out = ROOT / "benchmarks" / "results" / f"analytics_{date.today().isoformat()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
