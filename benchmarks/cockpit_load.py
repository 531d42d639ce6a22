"""Benchmark: the cockpit page (驾驶舱) loaded in headless Chromium, against the same page served as a static file.

Yangfan's ``/`` (server-rendered HTML and what it loads: style.css, ECharts 1.1 MB, cockpit.js drawing
a sparkline per target with a series, …) from ``yangfan serve`` over a fresh demo data dir. The
baseline, in the same run: a mirror of everything the browser fetched from Yangfan for ``/`` (the
HTML Yangfan rendered and each asset, byte for byte) served by a bare Starlette ``StaticFiles`` app
under the same uvicorn settings, so the browser does the same work and the difference is what the
server spends on the page. Cold loads use a new browser context each (empty cache); warm loads share
one context after a priming load; the two sides are interleaved load by load. Navigation timing
comes from ``performance.getEntriesByType('navigation')``; "charts painted" is two animation frames
after the load event, the first frame that shows the charts. The HTML alone is also timed from
Python (sequential GETs) to separate server time.

    .venv/bin/python benchmarks/cockpit_load.py [--loads N] [--gets N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

from servers import free_port, save_results, serve_app, serving, start_yangfan, workspace

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
INSTALL = "apt-get install -y chromium"
GOAL_MS = 1000.0
# Metrics, in ms from the navigation start. Installed before any page script runs (CSP does not apply to it).
PAINTED_JS = """window.__painted = new Promise(resolve => addEventListener("load", () =>
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())))));"""
METRICS_JS = """async () => {
  const painted = await window.__painted;
  const n = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const res = performance.getEntriesByType("resource");
  return {response_start: n.responseStart, response_end: n.responseEnd, dom_content_loaded: n.domContentLoadedEventEnd,
          load: n.loadEventEnd, painted: painted, fcp: fcp ? fcp.startTime : null, html_bytes: n.decodedBodySize,
          resources: res.length, transfer_bytes: n.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
          charts: document.querySelectorAll("[_echarts_instance_]").length,
          drawn: document.querySelectorAll("[_echarts_instance_] canvas, [_echarts_instance_] svg").length};
}"""
METRICS = ("response_end", "dom_content_loaded", "load", "painted")
LABELS = {"response_end": "HTML responseEnd", "dom_content_loaded": "DOMContentLoaded", "load": "loadEventEnd",
          "painted": "charts painted"}


def static_app(mirror: Path) -> object:
    """The baseline: the mirrored page and its assets, as plain static files."""
    from starlette.staticfiles import StaticFiles

    return StaticFiles(directory=mirror, html=True)


def _mirror(base: str, dest: Path) -> list[str]:
    """Save what the browser fetches from Yangfan for ``/`` (the HTML as index.html), byte for byte."""
    from urllib.parse import urlsplit

    from playwright.sync_api import sync_playwright

    saved: dict[str, bytes] = {}

    def keep(response: Any) -> None:
        url = urlsplit(response.url)
        if response.url.startswith(base) and response.status == 200 and response.request.method == "GET":
            if url.query and url.path != "/":
                sys.exit(f"the page fetches {url.path}?{url.query}: a query string cannot be served as a file")
            saved[url.path] = response.body()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("response", keep)
        page.goto(base + "/", wait_until="networkidle")
        browser.close()
    for path, body in saved.items():
        target = dest / (path.lstrip("/") or "index.html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return sorted(saved)


def _server_gets(base: str, n: int) -> dict[str, float]:
    """The HTML of ``/`` alone, one request at a time: what the server spends on it (ms)."""
    import httpx

    times = []
    with httpx.Client(base_url=base, timeout=60) as c:
        c.get("/").raise_for_status()  # warm-up
        for _ in range(n):
            t0 = time.perf_counter()
            c.get("/").raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"median": statistics.median(times), "p90": times[int(0.9 * (len(times) - 1))], "max": times[-1]}


def _first_get(base: str) -> float:
    """The first ``/`` after the server has started (ms): what its first visitor waits."""
    import httpx

    t0 = time.perf_counter()
    httpx.get(base + "/", timeout=60).raise_for_status()
    return (time.perf_counter() - t0) * 1000


def _load(context: Any, url: str) -> dict[str, float]:
    page = context.new_page()
    page.goto(url, wait_until="load")
    metrics: dict[str, float] = page.evaluate(METRICS_JS)
    page.close()
    if metrics["drawn"] < metrics["charts"]:
        sys.exit(f"{url}: {metrics['drawn']} of {metrics['charts']} ECharts charts drawn")
    return metrics


def _browse(bases: dict[str, str], loads: int) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Cold and warm loads of ``/`` on each side, interleaved."""
    from playwright.sync_api import sync_playwright

    runs: dict[str, dict[str, list[dict[str, float]]]] = {s: {"cold": [], "warm": []} for s in bases}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"Chromium {browser.version}: {loads} cold and {loads} warm loads per side…", flush=True)
        for i in range(loads + 1):  # the first round warms up the browser and the servers, and is not counted
            for side, base in bases.items():
                ctx = browser.new_context()
                ctx.add_init_script(PAINTED_JS)
                metrics = _load(ctx, base + "/")
                ctx.close()
                if i:
                    runs[side]["cold"].append(metrics)
        warm = {side: browser.new_context() for side in bases}
        for side, ctx in warm.items():
            ctx.add_init_script(PAINTED_JS)
            _load(ctx, bases[side] + "/")  # primes the cache
        for _ in range(loads):
            for side, base in bases.items():
                runs[side]["warm"].append(_load(warm[side], base + "/"))
        for ctx in warm.values():
            ctx.close()
        browser.close()
    return runs


def _stats(loads: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {m: {"median": statistics.median(x[m] for x in loads), "max": max(x[m] for x in loads)}
            for m in (*METRICS, "fcp") if all(x[m] is not None for x in loads)}


def _report(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    stats, gets, page = result["stats"], result["server_gets"], result["page"]
    t = Table(title=f"Cockpit load — / ({page['html_bytes']:,} B of HTML, {page['resources']} resources, "
                    f"{page['transfer_bytes']:,} B transferred cold, {page['charts']} ECharts charts), "
                    f"median / max of {result['loads']} loads, ms")
    t.add_column("side")
    t.add_column("cache")
    for m in ("fcp", *METRICS):
        t.add_column(LABELS.get(m, "first paint"), justify="right")
    for side in ("yangfan", "static"):
        for cache in ("cold", "warm"):
            s = stats[side][cache]
            t.add_row(side, cache, *(f"{s[m]['median']:.0f} / {s[m]['max']:.0f}" if m in s else "—"
                                     for m in ("fcp", *METRICS)), end_section=cache == "warm")
    Console(width=160).print(t)
    for side in ("yangfan", "static"):
        g = gets[side]
        print(f"GET / alone ({result['gets']} sequential, httpx) {side}: median {g['median']:.1f} ms, "
              f"p90 {g['p90']:.1f} ms, max {g['max']:.1f} ms")
    print(f"the first GET / after yangfan serve answered: {result['first_get_ms']:.1f} ms")
    for cache in ("cold", "warm"):
        y, b = stats["yangfan"][cache]["painted"], stats["static"][cache]["painted"]
        ok = "✓" if y["max"] < GOAL_MS else "✗"
        print(f"{cache}: charts painted yangfan median {y['median']:.0f} ms, max {y['max']:.0f} ms "
              f"(goal < {GOAL_MS:.0f} ms) {ok}; static {b['median']:.0f} / {b['max']:.0f} ms; "
              f"ratio of medians {y['median'] / b['median']:.2f}")
    print(f"machine load (1-min average) before / after: {result['load_avg_1min'][0]:.2f} / "
          f"{result['load_avg_1min'][1]:.2f} on {result['cores']} cores")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--loads", type=int, default=10, help="cold loads and warm loads per side")
    p.add_argument("--gets", type=int, default=50, help="sequential GETs of the HTML alone per side")
    p.add_argument("--keep", type=Path, help="work in this folder (data dir, logs) and keep it")
    p.add_argument("--serve-static", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_static:
        serve_app(static_app(Path(args.serve_static[1])), int(args.serve_static[0]))
        return
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is not installed; install it with:\n  {INSTALL}", file=sys.stderr)
        sys.exit(2)
    work, env = workspace(args.keep, "yangfan-cockpit-bench-")
    load_before = os.getloadavg()[0]
    with ExitStack() as stack:
        bases = {"yangfan": start_yangfan(stack, env, work)}
        first_get = _first_get(bases["yangfan"])
        shutil.rmtree(work / "mirror", ignore_errors=True)
        print(f"mirrored for the baseline: {', '.join(_mirror(bases['yangfan'], work / 'mirror'))}")
        port = free_port()
        bases["static"] = stack.enter_context(serving(
            "static baseline", [sys.executable, __file__, "--serve-static", str(port), str(work / "mirror")],
            env, work / "static-serve.log", port))
        gets = {side: _server_gets(base, args.gets) for side, base in bases.items()}
        runs = _browse(bases, args.loads)
    result: dict[str, Any] = {
        "date": date.today().isoformat(), "cores": os.cpu_count(), "load_avg_1min": [load_before, os.getloadavg()[0]],
        "loads": args.loads, "gets": args.gets, "first_get_ms": first_get, "server_gets": gets,
        "page": runs["yangfan"]["cold"][0],
        "stats": {s: {c: _stats(v) for c, v in r.items()} for s, r in runs.items()}, "runs": runs}
    _report(result)
    save_results("cockpit", result, work, bool(args.keep))


if __name__ == "__main__":
    main()
