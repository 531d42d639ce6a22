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
import shutil
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


def _bench_platform(work: Path) -> object:
    from yangfan.context import Yangfan
    from yangfan.settings import Settings

    y = Yangfan(Settings(data_dir=work, database_url=f"sqlite:///{work / 'store.sqlite'}",
                         login_attempts_per_minute=10_000))
    y.init()  # the migrations since the store was loaded (the slice index)
    assert y.settings.analytics_path == work / "analytics.duckdb"
    return y


def _served(y: object, indicator: str, unit: str, period: str, disagg: str) -> float | None:
    """The figure as a reader now gets it (the newest snapshot)."""
    from yangfan.analytics.query import Query
    from yangfan.geo.periods import parse_period

    a = y.analytics  # type: ignore[attr-defined]
    q = Query((indicator,), (unit,), (parse_period(period),), disagg, allow_incomplete=True)
    return a.run(q)[0].value  # type: ignore[no-any-return]


def phase_approve_one(work: Path, n_months: int) -> dict[str, float]:
    """(a) One province-month of one operator's return (~60 values: the province and two of its cities, every
    indicator), submitted by a reporter and approved through the API: the request's latency, then the time
    until the new figure is served (the builder's incremental build and the first read of the new snapshot)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from yangfan.access import accounts
    from yangfan.access.roles import Role
    from yangfan.store.db import session_scope
    from yangfan.store.models import DataValueRow
    from yangfan.store.repository import write_batch
    from yangfan.store.values import NewValue
    from yangfan.web.app import create_app

    _, tree, monthly = _setup()
    y = _bench_platform(work)
    month = _months(n_months)[-1]
    units = ["440000", "440100", "440300"]
    values = [NewValue(ind, u, month, 1e6 + 1000 * i + j, "operator=cmcc", source_title="粤移动月报")
              for i, ind in enumerate(monthly) for j, u in enumerate(units)]
    with session_scope(y.engine) as s:  # type: ignore[attr-defined]
        for name, role, unit in (("bench-admin", Role.administrator, None),
                                 ("bench-gd", Role.provincial_reporter, "440000")):
            accounts.create_user(s, "bench", name, "bench password 123")
            accounts.grant(s, "bench", name, role, unit, tree)  # type: ignore[arg-type]
        batch = write_batch(s, "gd-cmcc.csv", f"gd-cmcc-{time.time()}", values, status="submitted", user="bench-gd")
        ids = list(s.scalars(select(DataValueRow.id).where(DataValueRow.batch_id == batch.batch_id)))
    c = TestClient(create_app(y))  # type: ignore[arg-type]
    csrf = c.post("/api/v1/auth/login", json={"username": "bench-admin", "password": "bench password 123"}
                  ).json()["csrf_token"]
    t0 = time.perf_counter()
    r = c.post("/api/v1/reviews", json={"ids": ids, "action": "approve"}, headers={"X-CSRF-Token": csrf})
    t_request = time.perf_counter() - t0
    assert r.status_code == 200, r.text
    t1 = time.perf_counter()
    stats = y.follow()  # type: ignore[attr-defined]  # what the builder does on its notification
    served = _served(y, monthly[0], "440000", month, "operator=cmcc")
    t_served = time.perf_counter() - t1
    assert stats is not None and stats["kind"] == 1.0, stats
    assert served == values[0].value, (served, values[0].value)
    return {"values": float(len(ids)), "request_s": t_request, "served_s": t_served, "build_s": stats["total_s"],
            "facts_read": stats["facts"], "rss_mb": _rss_mb()}


def phase_approve_month(work: Path, n_months: int, n_counties: int) -> dict[str, float]:
    """(b) A whole new month for the nation (every county, indicator and operator), approved at once."""
    import random

    from yangfan.store.db import session_scope
    from yangfan.store.repository import write_batch
    from yangfan.store.values import NewValue

    _, tree, monthly = _setup()
    y = _bench_platform(work)
    month = _months(n_months + 1)[-1]
    rng = random.Random(7)
    counties = _leaves(tree)[:n_counties]
    values = [NewValue(ind, c, month, float(rng.randrange(1_000, 5_000)), f"operator={op}", source_kind="benchmark",
                       source_title="synthetic")
              for ind in monthly for c in counties for op in OPERATORS]
    t0 = time.perf_counter()
    with session_scope(y.engine) as s:  # type: ignore[attr-defined]
        write_batch(s, "nation-month.csv", f"nation-{month}-{time.time()}", values, status="approved")
    t_request = time.perf_counter() - t0
    t1 = time.perf_counter()
    stats = y.follow()  # type: ignore[attr-defined]
    served = _served(y, monthly[0], "100000", month, "operator=cmcc")
    t_served = time.perf_counter() - t1
    expected = sum(v.value for v in values if v.indicator == monthly[0] and v.disaggregation == "operator=cmcc")
    assert stats is not None and stats["kind"] == 1.0, stats
    assert served is not None and abs(served - expected) < 1e-6 * expected, (served, expected)
    return {"values": float(len(values)), "write_s": t_request, "served_s": t_served, "build_s": stats["total_s"],
            "facts_read": stats["facts"], "rss_mb": _rss_mb()}


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


def _report(load: dict, rebuild: dict, base: dict, queries: dict,  # type: ignore[type-arg]
            one: dict, month: dict) -> dict[str, object]:  # type: ignore[type-arg]
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
    speedup = rebuild["total_s"] / one["served_s"]
    t.add_row(f"(a) approve {one['values']:.0f} values: request", f"{one['request_s'] * 1000:.0f} ms", "", "", "",
              "< 100 ms " + ("✓" if one["request_s"] < 0.1 else "✗"))
    t.add_row(f"(a) … until served ({one['facts_read']:.0f} facts read)", f"{one['served_s']:.2f}",
              f"{rebuild['total_s']:.1f} (full)", f"{speedup:.0f}× faster", f"{one['rss_mb']:.0f}",
              "≤ 1 s, ≥ 20× " + ("✓" if one["served_s"] <= 1 and speedup >= 20 else "✗"))
    t.add_row(f"(b) approve a month, {month['values']:,.0f} values: write", f"{month['write_s']:.2f}", "", "", "", "")
    t.add_row(f"(b) … until served ({month['facts_read']:,.0f} facts read)", f"{month['served_s']:.2f}",
              f"{rebuild['total_s']:.1f} (full)", f"{rebuild['total_s'] / month['served_s']:.0f}× faster",
              f"{month['rss_mb']:.0f}", "≤ 5 s " + ("✓" if month["served_s"] <= 5 else "✗"))
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
            "queries": queries, "worst_query_ratio": worst, "approve_one": one, "approve_month": month}


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
              "queries": lambda: phase_queries(args.work, args.months, args.counties >= 2978),
              "approve_one": lambda: phase_approve_one(args.work, args.months),
              "approve_month": lambda: phase_approve_month(args.work, args.months, args.counties)}[args.phase]
        print(json.dumps(fn()))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="yangfan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():  # a kept folder is loaded afresh: the incremental phases changed its store
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    load = _run_phase("load", work, args)
    rebuild = _run_phase("rebuild", work, args)
    base = _run_phase("baseline", work, args)
    queries = _run_phase("queries", work, args)
    # The incremental phases change the store: after the queries, which compare with the baseline's copy.
    one = _run_phase("approve_one", work, args)
    month = _run_phase("approve_month", work, args)
    result = _report(load, rebuild, base, queries, one, month)
    out = ROOT / "benchmarks" / "results" / f"analytics_{date.today().isoformat()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
