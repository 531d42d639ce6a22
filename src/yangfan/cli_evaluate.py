"""``yangfan evaluate …``: the 扬帆之城 city evaluation from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from yangfan.context import Yangfan
from yangfan.output import Format, render

evaluate_app = typer.Typer(help="The 扬帆之城 city evaluation: ranks with intervals, audit. / 扬帆之城评价。",
                           no_args_is_help=True)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table | json | csv")]
YearOpt = Annotated[int | None, typer.Option(help="the method's year (the latest by default)")]
RunsOpt = Annotated[int | None, typer.Option(help="Monte Carlo runs (the method's own by default)")]
err = Console(stderr=True)


@evaluate_app.command("run")
def run(year: YearOpt = None, runs: RunsOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Score and rank every prefecture-level city, with each rank's 5–95% interval over the method's choices.
    / 计算各城市得分、排名及排名区间。"""
    from yangfan.evaluate.run import evaluate

    e = evaluate(Yangfan(), year, runs=runs)
    rows = [c.as_dict() for c in e.cities]
    m = e.meta()
    err.print(f"{m['title_zh']} · method {m['method_version']} · {len(rows)} cities · {m['runs']} Monte Carlo runs "
              f"(seed {m['seed']}){' · 演示数据 demo data' if m['demo'] else ''}"
              + "".join(f"\nleft out (coverage {x['coverage']:.0%}): {x['indicator']}" for x in m["left_out"]))
    if fmt is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    flat = [{k: v for k, v in r.items() if k not in ("pillars", "imputed")} for r in rows]
    typer.echo(render(flat, fmt, ["rank", "org_unit", "name", "score", "rank_p5", "rank_median", "rank_p95",
                                  "designated"]))


@evaluate_app.command("audit")
def audit(year: YearOpt = None, runs: RunsOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The audit: effective weights against nominal ones, correlation flags, which choice moves ranks most.
    / 审计：有效权重、相关性、敏感性。"""
    from yangfan.evaluate.run import evaluate

    e = evaluate(Yangfan(), year, runs=runs)
    if fmt is Format.json:
        typer.echo(json.dumps({**e.meta(), "effective_weights": e.effective, "correlation_flags": e.correlation_flags,
                               "sensitivity": [{"choice": d, "mean_abs_rank_shift": s} for d, s in e.sensitivity],
                               "outliers": e.outliers}, ensure_ascii=False, indent=2))
        return
    typer.echo(render([{k: round(v, 4) if isinstance(v, float) else v for k, v in w.items()} for w in e.effective],
                      fmt, ["indicator", "pillar", "nominal", "effective", "raw"], title="effective weights"))
    typer.echo(render([{"choice": d, "mean_abs_rank_shift": round(s, 2)} for d, s in e.sensitivity], fmt,
                      title="sensitivity"))
    for f in e.correlation_flags:
        typer.echo(f"! {f['zh']} / {f['en']}")
    for code, units in e.outliers.items():
        typer.echo(f"winsorised {code}: {', '.join(units)}")
