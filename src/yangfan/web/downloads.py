"""Downloads of what a page shows: CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Response

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: What makes a spreadsheet read text as a formula (OWASP "CSV injection"): =, +, -, @, and a tab or
#: carriage return before any of them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}


def inert(value: Any) -> Any:
    """A cell as written: text that a spreadsheet would run as a formula gets a leading single quote;
    numbers (a negative one included) and everything else stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> bytes:
    """A CSV file (RFC 4180 line ends); notes (demo label, source) go first as comment lines that start with #."""
    buf = io.StringIO()
    for note in notes:
        buf.write(f"# {note}\r\n")
    # CRLF line ends make the writer quote a cell holding a bare carriage return; with LF ones it did not,
    # and a spreadsheet split the row there, so that "\r=HYPERLINK(…)" began a new row with a formula.
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([inert(v) for v in header])
    w.writerows(["" if v is None else inert(v) for v in r] for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> bytes:
    """An XLSX workbook with one sheet: the notes, a bold header row, the rows with numbers as numbers.

    Text is always written as text: openpyxl would otherwise store a string that starts with "=" as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]

    def append(values: Sequence[Any]) -> None:
        ws.append([inert(v) for v in values])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"

    for note in notes:
        append([note])
        ws.cell(ws.max_row, 1).font = Font(bold=True, color="B00020")
    append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        append(r)
    ws.freeze_panes = f"A{len(notes) + 2}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download(fmt: str, stem: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
             notes: Sequence[str] = ()) -> Response:
    """The response for ``fmt`` (csv or xlsx)."""
    if fmt == "xlsx":
        return Response(xlsx_bytes(stem, header, rows, notes), media_type=XLSX_TYPE,
                        headers=_disposition(f"{stem}.xlsx"))
    return Response(csv_bytes(header, rows, notes), media_type=CSV_TYPE, headers=_disposition(f"{stem}.csv"))
