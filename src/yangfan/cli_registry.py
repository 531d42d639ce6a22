"""``yangfan registry …``: credit codes, bulk import, search, counts, duplicates and merges from the command line.

The command line acts as the platform's operator (ministry level): it is run on the server by its staff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from yangfan.context import Yangfan
from yangfan.output import Format, render

registry_app = typer.Typer(help="Registries (名录): records, imports, counts, duplicates. / 名录。",
                           no_args_is_help=True)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table | json | csv")]
CLI_ACTOR = "cli"
err = Console(stderr=True)


def _operator() -> list[Any]:
    """The command line's grants: the platform's operator (imported here: SQLAlchemy would slow every command's
    start)."""
    from yangfan.access.accounts import Grant
    from yangfan.access.roles import Role

    return [Grant(Role.administrator, None)]


@registry_app.command("check-uscc")
def check_uscc(code: str) -> None:
    """Check a unified social credit code (GB 32100-2015); exit 1 with the reason when it is not valid.
    / 校验统一社会信用代码。"""
    from yangfan.registry.uscc import compact, problem

    found = problem(code)
    if found is None:
        typer.echo(f"{compact(code)}: 有效 / valid")
        return
    typer.echo(f"{code}: 无效 / not valid — {found[0]} / {found[1]}", err=True)
    raise typer.Exit(1)


@registry_app.command("import")
def import_records(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="xlsx (first sheet) or UTF-8 CSV")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and report, write nothing")] = False,
    report: Annotated[Path | None, typer.Option(help="write the rejection report (CSV) here")] = None,
) -> None:
    """Import registry records: all rows or none; a file imported before changes nothing. / 批量导入名录。"""
    from yangfan.errors import YangfanError
    from yangfan.registry import bulk
    from yangfan.store.db import session_scope

    y = Yangfan()
    try:
        with session_scope(y.engine) as session:
            result = bulk.run(session, y.registry, y.tree, _operator(), CLI_ACTOR, file.read_bytes(), file.name,
                              dry_run)
    except YangfanError as exc:
        if report:
            report.write_text(render([i.as_dict() for i in exc.issues], Format.csv), encoding="utf-8-sig")
        raise
    d = result.as_dict()
    if result.repeated:
        err.print(f"{file.name}: 该文件已导入，未作改动 / already imported, nothing changed")
    else:
        verb = "would be" if dry_run else "were"
        err.print(f"{file.name}: {d['rows']} rows — {d['created']} new, {d['updated']} updated, "
                  f"{d['unchanged']} unchanged ({verb} written{'; dry run: nothing written' if dry_run else ''})")
    if not dry_run and not result.repeated:
        y.count_registry()


@registry_app.command("list")
def list_records(
    text: Annotated[str, typer.Argument(help="name, pinyin initials, credit code or number")] = "",
    kind: Annotated[str, typer.Option(help="organisation, carrier, standard, product, vpn, …")] = "",
    category: str = "",
    sector: str = "",
    org_unit: Annotated[str, typer.Option("--org-unit", "-o")] = "",
    status: str = "",
    limit: int = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """Search the registries. / 检索名录。"""
    from yangfan.registry.records import Search, search
    from yangfan.store.db import session_scope

    y = Yangfan()
    with session_scope(y.engine) as session:
        total, rows = search(session, Search(text, kind, category, sector=sector, org_unit=org_unit, status=status),
                             y.tree, _operator(), limit)
        out = [{"id": r.id, "kind": r.kind, "category": r.category, "name": r.name, "uscc": r.uscc or "",
                "ref": r.ref, "org_unit": r.org_unit_code, "operator": r.operator, "status": r.status,
                "valid_from": str(r.valid_from or ""), "demo": r.demo} for r in rows]
    if fmt is not Format.json:
        err.print(f"{total} record(s) match; showing {len(out)}")
    typer.echo(render(out, fmt, ["id", "kind", "category", "name", "uscc", "org_unit", "status", "valid_from"]))


@registry_app.command("count")
def count() -> None:
    """Recount the registries into the catalog's indicators (as of today). / 名录计数入库。"""
    y = Yangfan()
    result = y.count_registry()
    err.print("counts unchanged / 计数未变" if result.repeated else
              f"counts: {result.inserted} new, {result.revised} revised, {result.unchanged} unchanged")


@registry_app.command("duplicates")
def duplicates(kind: str = "", fmt: FormatOpt = Format.table) -> None:
    """Possible duplicates: the same credit code or number, or names alike after normalising. / 疑似重复。"""
    from yangfan.registry.dedup import find
    from yangfan.store.db import session_scope

    y = Yangfan()
    with session_scope(y.engine) as session:
        rows = [p.as_dict() for p in find(session, kind or None)]
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2) if fmt is Format.json else
               render(rows, fmt, ["a", "a_name", "b", "b_name", "reason", "score"]))


@registry_app.command("merge")
def merge(
    keep: Annotated[int, typer.Argument(help="the record that stays")],
    drop: Annotated[int, typer.Argument(help="the record merged into it")],
    message: Annotated[str, typer.Option("--message", "-m", help="why")] = "",
) -> None:
    """Merge two records of one kind; the merged one keeps its history. / 合并重复记录。"""
    from yangfan.registry import records
    from yangfan.store.db import session_scope

    y = Yangfan()
    with session_scope(y.engine) as session:
        took = records.merge(session, _operator(), CLI_ACTOR, records.get(session, keep), records.get(session, drop),
                             message)
    err.print(f"#{drop} merged into #{keep}; took: {json.dumps(took, ensure_ascii=False, default=str)}")
    y.count_registry()
