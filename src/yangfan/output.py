"""Render lists of records as a table, JSON or CSV for the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    """Output formats of every listing command."""

    table = "table"
    json = "json"
    csv = "csv"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "; ".join(str(x) for x in v)
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e6 else f"{v:.0f}"
    return str(v)


def render(records: Sequence[dict[str, Any]], fmt: Format, columns: Sequence[str] | None = None,
           title: str | None = None) -> str:
    """Records as text; ``columns`` picks what a table shows (JSON and CSV carry every field)."""
    if fmt is Format.json:
        return json.dumps(list(records), ensure_ascii=False, indent=2)
    if fmt is Format.csv:
        buf = io.StringIO()
        fields = list(records[0].keys()) if records else list(columns or [])
        w = csv.DictWriter(buf, fields, lineterminator="\n")
        w.writeheader()
        for r in records:
            w.writerow({k: _cell(v) for k, v in r.items()})
        return buf.getvalue()
    cols = list(columns or (records[0].keys() if records else []))
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in records:
        table.add_row(*(_cell(r.get(c)) for c in cols))
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()
