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


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> bytes:
    """A CSV file; notes (demo label, source) go first as comment lines that start with #."""
    buf = io.StringIO()
    for note in notes:
        buf.write(f"# {note}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(["" if v is None else v for v in r] for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> bytes:
    """An XLSX workbook with one sheet: the notes, a bold header row, the rows with numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    for note in notes:
        ws.append([note])
        ws.cell(ws.max_row, 1).font = Font(bold=True, color="B00020")
    ws.append(list(header))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(list(r))
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
