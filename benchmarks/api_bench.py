"""Benchmark: the figures API under 50 concurrent clients, against a bare FastAPI endpoint.

Yangfan serves ``GET /api/v1/data-values`` for ``bs_5g_per_10k`` (5G base stations per 10,000
people) at the 31 provinces × the latest 24 months (744 figures), from a fresh data dir filled by
``yangfan init`` and ``yangfan demo``. The baseline, in the same run: a bare FastAPI app whose one
endpoint returns the very same JSON bytes as a constant, served by uvicorn with the same settings
(one process, ``uvicorn.run(app, host, port, log_level="info")`` as ``yangfan serve`` does).
Load comes from wrk (C, one thread, 50 connections) so that the client does not starve the
server on 2 cores; the two sides are loaded alternately, after a warm-up of each.

    .venv/bin/python benchmarks/api_bench.py [--duration S] [--rounds N] [--connections C] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from servers import free_port, save_results, serve_app, serving, start_yangfan, workspace

INDICATOR = "bs_5g_per_10k"
MONTHS = 24
INSTALL = "apt-get install -y wrk"
GOAL_RATIO, GOAL_P99_MS = 0.5, 50.0

# wrk's own histogram (microseconds), written as JSON where WRK_OUT says; runs once, after all threads.
WRK_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  local f = io.open(os.getenv("WRK_OUT"), "w")
  f:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  f:close()
end
"""


def bare_app(body: bytes) -> object:
    """The baseline: FastAPI with one sync endpoint (run in the thread pool, as Yangfan's) returning constant bytes."""
    from fastapi import FastAPI, Response

    app = FastAPI()

    @app.get("/api/v1/data-values")
    def data_values() -> Response:
        return Response(body, media_type="application/json")

    return app


def _path(provinces: list[str], months: list[str]) -> str:
    from urllib.parse import urlencode

    params = [("indicator", INDICATOR), *(("org_unit", c) for c in provinces), *(("period", m) for m in months),
              ("limit", "1000")]
    return "/api/v1/data-values?" + urlencode(params)


def _query(base: str) -> tuple[list[str], list[str]]:
    """The 31 provinces and the latest 24 calendar months up to the latest month with values, from the API."""
    import httpx

    units = httpx.get(base + "/api/v1/org-units", params={"level": 1, "limit": 1000}, timeout=30).json()
    provinces = [u["code"] for u in units]
    periods = httpx.get(base + "/api/v1/periods", params={"type": "month", "limit": 1000}, timeout=30).json()
    year, month = (int(x) for x in max(p["code"] for p in periods).split("-"))
    months = []
    for _ in range(MONTHS):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return provinces, months[::-1]


def _check(base: str, path: str, expected: int) -> tuple[bytes, dict[str, int]]:
    """The response must be 200 with one record per figure; returns its body and how many carry a value."""
    import httpx

    r = httpx.get(base + path, timeout=60)
    if r.status_code != 200:
        sys.exit(f"GET {path[:120]}… answered {r.status_code}: {r.text[:500]}")
    records = r.json()
    if len(records) != expected:
        sys.exit(f"expected {expected} records, got {len(records)}")
    counts = {"records": len(records), "with_value": sum(1 for x in records if x.get("value") is not None),
              "demo": sum(1 for x in records if x.get("demo")), "bytes": len(r.content)}
    return r.content, counts


def _sequential_ms(base: str, path: str, n: int = 30) -> float:
    """Median latency of one request at a time (no concurrency): the service time."""
    import httpx

    times = []
    with httpx.Client(base_url=base, timeout=60) as c:
        for _ in range(n):
            t0 = time.perf_counter()
            c.get(path).raise_for_status()
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _wrk(url: str, seconds: float, connections: int, lua: Path, out: Path) -> dict[str, float]:
    env = {**os.environ, "WRK_OUT": str(out)}
    # --timeout well above any latency seen here, so that a slow answer is measured rather than dropped
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(lua), url]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0 or not out.exists():
        sys.exit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    stats: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    stats["errors"] = stats["connect"] + stats["read"] + stats["write"] + stats["status"] + stats["timeout"]
    return stats


def _summary(runs: list[dict[str, float]]) -> dict[str, float]:
    """Requests/s over all rounds; p50 the median of the rounds', p99 and max the worst round's."""
    return {"rps": sum(r["requests"] for r in runs) / sum(r["duration_us"] / 1e6 for r in runs),
            "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p99_ms": max(r["p99_us"] for r in runs) / 1000, "max_ms": max(r["max_us"] for r in runs) / 1000,
            "errors": sum(r["errors"] for r in runs), "requests": sum(r["requests"] for r in runs)}


def _report(result: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    counts: dict[str, int] = result["counts"]  # type: ignore[assignment]
    rounds: dict[str, list[dict[str, float]]] = result["rounds"]  # type: ignore[assignment]
    total: dict[str, dict[str, float]] = result["summary"]  # type: ignore[assignment]
    seq: dict[str, float] = result["sequential_ms"]  # type: ignore[assignment]
    t = Table(title=f"API benchmark — {INDICATOR}, {result['provinces']} provinces × {MONTHS} months = "
                    f"{counts['records']} figures ({counts['bytes']:,} B of JSON), "
                    f"{result['connections']} connections, {result['duration_s']:.0f} s per round")
    for c in ("side", "round", "requests/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "1 client ms"):
        t.add_column(c, justify="left" if c in ("side", "round") else "right")
    for side in ("yangfan", "bare"):
        for i, r in enumerate(rounds[side], 1):
            t.add_row(side, str(i), f"{r['rps']:,.1f}", f"{r['p50_us'] / 1000:.1f}", f"{r['p90_us'] / 1000:.1f}",
                      f"{r['p99_us'] / 1000:.1f}", f"{r['max_us'] / 1000:.1f}", f"{r['errors']:.0f}", "")
        s = total[side]
        t.add_row(f"[bold]{side}[/bold]", "all", f"[bold]{s['rps']:,.1f}[/bold]", f"{s['p50_ms']:.1f}", "",
                  f"[bold]{s['p99_ms']:.1f}[/bold]", f"{s['max_ms']:.1f}", f"{s['errors']:.0f}", f"{seq[side]:.1f}",
                  end_section=True)
    Console(width=160).print(t)
    ratio = total["yangfan"]["rps"] / total["bare"]["rps"]
    p99 = total["yangfan"]["p99_ms"]
    print(f"figures with a value: {counts['with_value']} of {counts['records']}"
          + (f" ({counts['demo']} from demo values)" if counts["demo"] else ""))
    print(f"throughput ratio yangfan / bare: {ratio:.3f} (goal ≥ {GOAL_RATIO}) {'✓' if ratio >= GOAL_RATIO else '✗'}")
    print(f"yangfan p99: {p99:.1f} ms (goal < {GOAL_P99_MS:.0f} ms) {'✓' if p99 < GOAL_P99_MS else '✗'}; "
          f"bare p99: {total['bare']['p99_ms']:.1f} ms")
    load = result["load_avg_1min"]
    print(f"machine load (1-min average) before / after: {load[0]:.2f} / {load[1]:.2f} on {result['cores']} cores")
    print(f"(closed loop: with {result['connections']} clients always waiting, latency ≈ clients ÷ throughput, "
          f"so p99 < {GOAL_P99_MS:.0f} ms needs ≳ {result['connections'] / GOAL_P99_MS * 1000:,.0f} requests/s)")


def _measure(urls: dict[str, str], args: argparse.Namespace, work: Path) -> dict[str, list[dict[str, float]]]:
    lua = work / "latency.lua"
    lua.write_text(WRK_LUA, encoding="utf-8")
    out = work / "wrk.json"
    for side, url in urls.items():
        print(f"warm-up {side} ({args.warmup:.0f} s)…", flush=True)
        _wrk(url, args.warmup, args.connections, lua, out)
    rounds: dict[str, list[dict[str, float]]] = {side: [] for side in urls}
    for i in range(args.rounds):
        for side, url in urls.items():
            stats = _wrk(url, args.duration, args.connections, lua, out)
            print(f"round {i + 1} {side}: {stats['rps']:,.1f} requests/s, p99 {stats['p99_us'] / 1000:.1f} ms",
                  flush=True)
            rounds[side].append(stats)
    return rounds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=20, help="seconds of load per side and round")
    p.add_argument("--rounds", type=int, default=2, help="alternations yangfan, bare")
    p.add_argument("--warmup", type=float, default=5, help="seconds of load per side before measuring")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--keep", type=Path, help="work in this folder (data dir, logs) and keep it")
    p.add_argument("--serve-bare", nargs=2, metavar=("PORT", "BODY"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_bare:
        serve_app(bare_app(Path(args.serve_bare[1]).read_bytes()), int(args.serve_bare[0]))
        return
    if shutil.which("wrk") is None:
        print(f"wrk is not installed; install it with:\n  {INSTALL}", file=sys.stderr)
        sys.exit(2)
    work, env = workspace(args.keep, "yangfan-api-bench-")
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        bases = {"yangfan": start_yangfan(stack, env, work)}
        provinces, months = _query(bases["yangfan"])
        path = _path(provinces, months)
        print(f"query: {INDICATOR} × {len(provinces)} provinces × {months[0]}..{months[-1]} ({len(path)} B of URL)")
        body, counts = _check(bases["yangfan"], path, len(provinces) * len(months))
        (work / "body.json").write_bytes(body)
        port = free_port()
        bases["bare"] = stack.enter_context(serving(
            "bare FastAPI", [sys.executable, __file__, "--serve-bare", str(port), str(work / "body.json")],
            env, work / "bare-serve.log", port))
        bare_body, _ = _check(bases["bare"], path, len(provinces) * len(months))
        assert bare_body == body, "the bare app must return the same bytes"
        sequential = {side: _sequential_ms(base, path) for side, base in bases.items()}
        rounds = _measure({side: base + path for side, base in bases.items()}, args, work)
    result: dict[str, object] = {
        "date": date.today().isoformat(), "cores": os.cpu_count(), "load_avg_1min": [load_before, os.getloadavg()[0]],
        "connections": args.connections, "duration_s": args.duration, "months": [months[0], months[-1]],
        "provinces": len(provinces), "counts": counts, "sequential_ms": sequential, "rounds": rounds,
        "summary": {s: _summary(r) for s, r in rounds.items()}}
    _report(result)
    save_results("api", result, work, bool(args.keep))


if __name__ == "__main__":
    main()
