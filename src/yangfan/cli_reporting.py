"""``yangfan form …``, ``yangfan validate`` and ``yangfan completeness``: the report forms from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from yangfan.context import Yangfan
from yangfan.output import Format, render

form_app = typer.Typer(help="Report forms: list, show, Excel templates. / 报表。", no_args_is_help=True)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table | json | csv")]


@form_app.command("list")
def list_forms(fmt: FormatOpt = Format.table) -> None:
    """The report forms: indicators, period type, reporting units, deadline. / 报表目录。"""
    y = Yangfan()
    rows = [f.as_dict(y.tree) for f in y.forms.values()]
    if fmt is Format.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(render(rows, fmt, ["code", "name_zh", "period_type", "units", "operators", "returns_per_period",
                                  "indicators"]))


@form_app.command("show")
def show_form(code: str, fmt: FormatOpt = Format.table) -> None:
    """One form with its items. / 报表详情。"""
    from yangfan.collect.forms import form_or_error

    y = Yangfan()
    f = form_or_error(y.forms, code)
    items = [{"indicator": i.code, "name_zh": i.name_zh, "unit": i.unit, "period_type": i.period_type,
              "decimals": i.decimals} for i in f.items]
    if fmt is Format.json:
        typer.echo(json.dumps({**f.as_dict(y.tree), "items": items}, ensure_ascii=False, indent=2))
        return
    d = f.as_dict(y.tree)
    typer.echo(f"{f.code} {f.name_zh} / {f.name_en}\n{f.description_zh}\n"
               f"period: {f.period_type} from {f.first_period}; due: day {f.schedule.deadline_day}, "
               f"{f.schedule.months_after} month(s) after the period; returns per period: {d['returns_per_period']}")
    typer.echo(render(items, fmt))


@form_app.command("template")
def template(
    code: str,
    org_unit: Annotated[str, typer.Option("--org-unit", "-o", help="org unit the figures are of, e.g. 440000")],
    period: Annotated[str, typer.Option("--period", "-p", help="2026-09, 2026Q3 or 2025")],
    out: Annotated[Path, typer.Option(help="the .xlsx to write")],
    reporter: Annotated[str, typer.Option(help="reporting unit (operator) when another than the org unit")] = "",
) -> None:
    """Write the Excel template of one return, prefilled with what was entered. / 生成填报模板。"""
    from yangfan.collect import reporting, xlsx_template
    from yangfan.collect.forms import form_or_error
    from yangfan.store.db import session_scope

    y = Yangfan()
    f = form_or_error(y.forms, code)
    if not reporter and f.operators:
        raise typer.BadParameter(f"form {code} is returned by operators: add --reporter "
                                 f"({', '.join(f.operators)})", param_hint="--reporter")
    key = reporting.key_for(f, org_unit, reporter, period, y.tree)
    with session_scope(y.engine) as s:
        _row, rows = reporting.grid(s, f, key)
    out.write_bytes(xlsx_template.write_template(f, key, rows, y.tree, y.catalog))
    typer.echo(f"{out}: template of {key}", err=True)


def validate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="a filled form template (.xlsx) or a CSV/XLSX of data values")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Check a file against every rule, writing nothing; exit 1 when something blocks it. / 审核文件（不写入）。"""
    from yangfan.collect.upload import check_file
    from yangfan.store.db import session_scope

    y = Yangfan()
    with session_scope(y.engine) as s:
        result = check_file(s, file.read_bytes(), file.name, y.catalog, y.tree, y.forms, y.today())
        s.rollback()
    problems = [p.as_dict() for p in result.problems]
    if fmt is Format.json:
        typer.echo(json.dumps({"ok": result.ok, "file": file.name, "problems": problems}, ensure_ascii=False,
                              indent=2))
    else:
        typer.echo(render(problems, fmt, ["severity", "row", "column", "indicator", "org_unit", "period",
                                          "explained", "message_zh"]) if problems else "ok: no problems / 审核通过")
    if not result.ok:
        raise typer.Exit(1)


def completeness(
    by: Annotated[str, typer.Option(help="group by: comma-separated form, org_unit, reporter, period")] = "form,period",
    fmt: FormatOpt = Format.table,
) -> None:
    """Returns due, received, on time, late and missing, as of today. / 报送率与及时率。"""
    from yangfan.collect import completeness as c
    from yangfan.collect.reporting import obligations
    from yangfan.store.db import session_scope

    fields = [f.strip() for f in by.split(",") if f.strip()]
    bad = [f for f in fields if f not in ("form", "org_unit", "reporter", "period")]
    if bad:
        raise typer.BadParameter(f"cannot group by {', '.join(bad)}", param_hint="--by")
    y = Yangfan()
    with session_scope(y.engine) as s:
        found = obligations(s, y.forms, y.tree, y.today())
    rows = [{**dict(zip(fields, k, strict=True)), **t.as_dict()} for k, t in c.by(found, *fields).items()]
    typer.echo(render(rows, fmt))
