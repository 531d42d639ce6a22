"""Read the first sheet of an XLSX import file as text, cell by cell, taking nothing it would have to guess.

Numbers are taken exactly as stored (the shortest text of the stored double, so 0.30000000000000004 stays
itself); a formula, an error value or a date is refused with its cell, never evaluated or converted.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, time, timedelta

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from yangfan.collect.rows import shown
from yangfan.errors import Issue, Location, YangfanError

ZIP_SIGNATURE = b"PK\x03\x04"
#: Compound-file signature: Excel 97–2003 (.xls) and password-protected workbooks.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: What a workbook may unpack to. A 20 MB upload of real figures stays far below; a zip bomb does not.
MAX_UNPACKED = 100 * 1024 * 1024
#: Excel's own row limit; it also stops a crafted sheet that jumps to row 10⁹ from padding empty rows.
MAX_ROWS = 1_048_576

#: A row number in the file (the header is row 1) and its cells as text.
Record = tuple[int, list[str]]
_Cell = tuple[object, str]  # value and openpyxl's data type ('n', 's', 'b', 'd', 'f', 'e')


def is_workbook(content: bytes, file_name: str) -> bool:
    """True for a file that says it is a workbook: by its name (.xlsx) or by its first bytes (ZIP, or the
    compound file of an .xls, which gets its own message rather than a CSV decoding error)."""
    return content.startswith((ZIP_SIGNATURE, OLE_SIGNATURE)) or file_name.lower().endswith((".xlsx", ".xlsm"))


def read_xlsx(content: bytes, file: str) -> list[Record]:
    """The non-blank rows of the first worksheet, each cell as text; refused cells are all named at once."""
    header: list[str] = []
    records: list[Record] = []
    issues: list[Issue] = []
    for n, cells in _first_sheet(content, file):
        texts = []
        for col, (value, kind) in enumerate(cells, start=1):
            cell = f"{get_column_letter(col)}{n}"
            refusal = _refusal(value, kind, cell)
            if refusal is not None:
                name = header[col - 1] if col <= len(header) else ""
                issues.append(Issue(*refusal, Location(file=file, row=n, field=name or None, entry=f"cell {cell}")))
            texts.append("" if refusal else _text(value))
        if n == 1:
            header = [t.strip() for t in texts]
        records.append((n, texts))
    if issues:
        raise YangfanError(issues)
    return records


def _unreadable(file: str, zh: str, en: str) -> YangfanError:
    return YangfanError.single("file.xlsx_unreadable", f"无法读取 XLSX 文件：{zh}", f"cannot read the XLSX file: {en}",
                               Location(file=file))


def _first_sheet(content: bytes, file: str) -> list[tuple[int, list[_Cell]]]:
    if content.startswith(OLE_SIGNATURE):
        raise _unreadable(file, "这是旧版 .xls 或加密的工作簿，请另存为 .xlsx 或 UTF-8 CSV",
                          "this is an Excel 97–2003 (.xls) or password-protected workbook: save it as .xlsx or "
                          "UTF-8 CSV")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise _unreadable(file, f"解压后超过 {MAX_UNPACKED // 2**20} MB",
                              f"it unpacks to more than {MAX_UNPACKED // 2**20} MB")
        return _cells(content, file)
    except YangfanError:
        raise
    # A damaged workbook surfaces as whatever zipfile, openpyxl or the XML parser meets first (BadZipFile,
    # KeyError, ValueError, ParseError, TypeError…): all of them mean the same thing to the person uploading.
    except Exception as exc:
        raise _unreadable(file, "文件已损坏或不是 XLSX 格式", "the file is damaged or not in XLSX format") from exc


def _cells(content: bytes, file: str) -> list[tuple[int, list[_Cell]]]:
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        if not book.worksheets:
            raise _unreadable(file, "工作簿中没有工作表", "the workbook has no worksheet")
        sheet = book.worksheets[0]
        assert isinstance(sheet, ReadOnlyWorksheet)
        sheet.reset_dimensions()  # a stated dimension is not trusted: only the cells present are read
        out: list[tuple[int, list[_Cell]]] = []
        for n, row in enumerate(sheet.iter_rows(max_row=MAX_ROWS), start=1):
            cells: list[_Cell] = [(c.value, c.data_type) for c in row]
            if any(v is not None and v != "" for v, _ in cells):
                out.append((n, cells))
        return out
    finally:
        book.close()


def _refusal(value: object, kind: str, cell: str) -> tuple[str, str, str] | None:
    """Code, zh and en message when a cell cannot be taken as it stands."""
    if kind == "f":
        formula = shown(str(getattr(value, "text", value)), 40)  # an array formula is an object with .text
        return ("xlsx.formula", f"单元格 {cell} 含公式“{formula}”，请粘贴为数值",
                f"cell {cell} holds a formula ({formula}): paste it as a value")
    if kind == "e":
        return ("xlsx.error_value", f"单元格 {cell} 含错误值 {shown(str(value))}",
                f"cell {cell} holds an error value ({shown(str(value))})")
    if isinstance(value, date | time | timedelta):
        # Excel turns a typed 2025-06 into 1 June 2025; which period was meant (month, quarter, year) is a guess.
        return ("xlsx.date", f"单元格 {cell} 是日期格式：请把单元格设为文本，期间写成 2025-06（月）、2025Q2（季）"
                             "或 2025（年）",
                f"cell {cell} holds a date: format the cell as text and write the period as 2025-06 (month), "
                "2025Q2 (quarter) or 2025 (year)")
    return None


def _text(value: object) -> str:
    """A cell as the text a CSV would hold."""
    if isinstance(value, float):
        return repr(value)  # the shortest text that is this double: nothing rounded away
    return "" if value is None else str(value)
