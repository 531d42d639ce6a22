"""Read the first sheet of an XLSX import file as text, cell by cell, taking nothing it would have to guess.

Numbers are taken exactly as stored (the shortest text of the stored double, so 0.30000000000000004 stays
itself; a whole number below 2⁵³ as an integer); a formula, an error value or a date is refused with its cell,
never evaluated or converted.

Two readers give the same records. calamine (Rust) reads a plain sheet about ten times faster than openpyxl
(benchmarks/README.md) but sees a formula's cached value, an error as an empty cell and a date as a date: a scan
of the sheet's XML (a few byte searches) sends any sheet with a formula, an error, a date style or type, an
``_xHHHH_`` escape, a 16-digit integer or cells placed far apart to openpyxl, which reads cell by cell and names
each refused cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, time, timedelta

from openpyxl import load_workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from python_calamine import CalamineWorkbook

from yangfan.collect.rows import column_of, shown
from yangfan.errors import Issue, Location, YangfanError

ZIP_SIGNATURE = b"PK\x03\x04"
#: Compound-file signature: Excel 97–2003 (.xls) and password-protected workbooks.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: What a workbook may unpack to. A 20 MB upload of real figures stays far below; a zip bomb does not.
MAX_UNPACKED = 100 * 1024 * 1024
#: Excel's own row limit; it also stops a crafted sheet that jumps to row 10⁹ from padding empty rows.
MAX_ROWS = 1_048_576
#: Beyond this a float may not hold the integer a cell's text gives: such a number is read as openpyxl reads it.
_EXACT_INTEGERS = 2**53

#: A row number in the file (the header is row 1) and its cells as text.
Record = tuple[int, list[str]]
_Cell = tuple[object, str]  # value and openpyxl's data type ('n', 's', 'b', 'd', 'f', 'e')


def is_workbook(content: bytes, file_name: str) -> bool:
    """True for a file that says it is a workbook: by its name (.xlsx) or by its first bytes (ZIP, or the
    compound file of an .xls, which gets its own message rather than a CSV decoding error)."""
    return content.startswith((ZIP_SIGNATURE, OLE_SIGNATURE)) or file_name.lower().endswith((".xlsx", ".xlsm"))


def read_xlsx(content: bytes, file: str) -> list[Record]:
    """The non-blank rows of the first worksheet, each cell as text; refused cells are all named at once."""
    _check_container(content, file)
    try:
        fast = _calamine_records(content)
    except Exception:  # whatever calamine or the scan cannot read, openpyxl reads or names as damaged
        fast = None
    return fast if fast is not None else careful_records(content, file)


def careful_records(content: bytes, file: str) -> list[Record]:
    """``read_xlsx`` through openpyxl alone, cell by cell, naming every refused cell (of a checked container)."""
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
            header = [column_of(t) or t.strip() for t in texts]
        if any(t.strip() for t in texts):  # a row of blanks is skipped, as in a CSV
            records.append((n, texts))
    if issues:
        raise YangfanError(issues)
    return records


def _unreadable(file: str, zh: str, en: str) -> YangfanError:
    return YangfanError.single("file.xlsx_unreadable", f"无法读取 XLSX 文件：{zh}", f"cannot read the XLSX file: {en}",
                               Location(file=file))


def _check_container(content: bytes, file: str) -> None:
    """Refuse an .xls (or encrypted) workbook, a file that is no ZIP and a ZIP that unpacks to too much."""
    if content.startswith(OLE_SIGNATURE):
        raise _unreadable(file, "这是旧版 .xls 或加密的工作簿，请另存为 .xlsx 或 UTF-8 CSV",
                          "this is an Excel 97–2003 (.xls) or password-protected workbook: save it as .xlsx or "
                          "UTF-8 CSV")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except Exception as exc:  # BadZipFile, or a damaged directory that zipfile meets in its own way
        raise _unreadable(file, "文件已损坏或不是 XLSX 格式", "the file is damaged or not in XLSX format") from exc
    if unpacked > MAX_UNPACKED:
        raise _unreadable(file, f"解压后超过 {MAX_UNPACKED // 2**20} MB",
                          f"it unpacks to more than {MAX_UNPACKED // 2**20} MB")


def _first_sheet(content: bytes, file: str) -> list[tuple[int, list[_Cell]]]:
    try:
        return _cells(content, file)
    except YangfanError:
        raise
    # A damaged workbook surfaces as whatever zipfile, openpyxl or the XML parser meets first (BadZipFile,
    # KeyError, ValueError, ParseError, TypeError…): all of them mean the same thing to the person uploading.
    except Exception as exc:
        raise _unreadable(file, "文件已损坏或不是 XLSX 格式", "the file is damaged or not in XLSX format") from exc


# --- the fast reader: calamine, for a sheet that holds nothing only openpyxl would name --------------------

#: Any of these in the sheet's XML sends it to openpyxl. A match in text (a note that says "<f>") only costs
#: speed. Each pattern starts with a literal, which Python's re finds at memory speed.
_SLOW = (
    re.compile(rb"<f[\s>/]"),  # a formula
    re.compile(rb":(?:[fc][\s>/]|v>)"),  # an element with a namespace prefix, which these searches would miss
    re.compile(rb'<c(?:[>/\t\r\n]| (?!r="))'),  # a cell whose first attribute is not r: calamine would place it
    re.compile(rb' t="(?!(?:s|n|b|inlineStr)")'),  # a cell type other than string, number, boolean: e, d, str…
    re.compile(rb"<v>(?:[\s#]|-?\d{16})"),  # an error value (#DIV/0!) whatever the type says; an integer a float
    # may not hold exactly
    re.compile(rb' s="(?:\s|0\d|\+)'),  # a style index written oddly (" 1", "01"): int() reads it, a scan not
    re.compile(rb' r="[A-Z]*0'),  # a reference with a leading zero (A007): the bounds below read digits as written
)
_SLOW_TEXT = (b"='", b"_x", b"<rPh")  # single-quoted attributes, _xHHHH_ escapes, phonetic runs
_REF = re.compile(rb' r="([A-Z]{1,3})(\d{1,7})"')
#: How much of each end of the sheet's XML gives the extent to check: the header and the last rows.
_ENDS = 1 << 16


def _calamine_records(content: bytes) -> list[Record] | None:
    """The records ``read_xlsx`` gives, read by calamine; None for a sheet that openpyxl must read (module doc)."""
    # openpyxl's own reading of the package (content types, workbook, relations, styles; not the cells) names the
    # sheet that it would read and the styles that it would read as dates.
    reader = ExcelReader(io.BytesIO(content), read_only=True)
    try:
        reader.read_manifest()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [(s.name, rel.target) for s, rel in reader.parser.find_sheets()
                  if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
        if not sheets:
            return None
        name, part = sheets[0]
        dates: set[int] = (getattr(reader.wb, "_date_formats", set())
                           | getattr(reader.wb, "_timedelta_formats", set()))
        strings = [n for n in reader.valid_files if n.lower().endswith("sharedstrings.xml")]
        if not (_plain(reader.archive.read(part), dates)
                and not any(t in reader.archive.read(n) for n in strings for t in (b"_x", b"<rPh"))):
            return None
    finally:
        reader.archive.close()
    with CalamineWorkbook.from_filelike(io.BytesIO(content)) as book:
        if book.sheet_names.count(name) != 1:
            return None
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    records: list[Record] = []
    for n, row in enumerate(grid, start=1):
        texts = [v if type(v) is str else _plain_text(v) for v in row]
        if "".join(texts).strip():  # some cell is not blank
            records.append((n, texts))
    return records


def _plain(xml: bytes, dates: set[int]) -> bool:
    """True when calamine reads this sheet XML as openpyxl would and within bounded memory: no formula, error,
    date or escape (``_SLOW``), every cell placed by its reference, and the grid calamine allocates (up to the
    last row and column that any cell names) not much larger than the cells themselves (a crafted A1 and
    XFD1000000 would make a grid of 16 × 10⁹)."""
    if b"<sheetData" not in xml or any(t in xml for t in _SLOW_TEXT) or any(p.search(xml) for p in _SLOW):
        return False
    if 0 in dates or any(f' s="{i}"'.encode() in xml for i in dates):
        return False  # a date style on some cell (style 0 is every cell's without one)
    cells = xml.count(b'<c r="')
    # The extent as the header and the last rows give it, then checked against every cell in one search each.
    ends = _REF.findall(xml[:_ENDS]) + _REF.findall(xml[-_ENDS:])
    if not ends:
        return cells == 0
    rows = max(int(r) for _, r in ends)
    columns = max(column_index_from_string(c.decode()) for c, _ in ends)
    if rows > MAX_ROWS or rows * columns > 4 * cells + 2**16:
        return False
    below = re.compile(rb' r="[A-Z]++' + _above(str(rows), "0123456789", b"[1-9]", b"\\d") + rb'"')
    right = re.compile(rb' r="' + _above(get_column_letter(columns), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"[A-Z]", b"[A-Z]")
                       + rb"\d")
    return below.search(xml) is None and right.search(xml) is None


def _above(limit: str, digits: str, first: bytes, any_digit: bytes) -> bytes:
    """A pattern for the numerals written with ``digits`` (in order, no leading zero) greater than ``limit``:
    longer ones, or as long and greater at the first digit where they differ (``_above("25", …)`` →
    ``[1-9]\\d{2,}|[3-9]\\d{1}|2[6-9]``)."""
    n = len(limit)
    options = [first + any_digit + b"{%d,}" % n]
    for i, d in enumerate(limit):
        higher = digits[digits.index(d) + 1:]
        if higher:
            options.append(f"{limit[:i]}[{higher[0]}-{higher[-1]}]".encode() + any_digit + b"{%d}" % (n - i - 1))
    return b"(?:" + b"|".join(options) + b")"


class _NotPlain(Exception):
    """A cell calamine read as a date where the styles showed none: the sheet goes to openpyxl, which names it."""


def _plain_text(value: object) -> str:
    """A cell calamine read, as the text ``_text`` gives openpyxl's value."""
    if isinstance(value, date | time | timedelta):
        raise _NotPlain
    return _text(value)


# --- the careful reader: openpyxl, cell by cell ------------------------------------------------------------

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
        if value.is_integer() and abs(value) < _EXACT_INTEGERS:
            return str(int(value))  # 440300, as Excel shows it, whether the file says 440300, 440300.0 or 4.403E5
        return repr(value)  # the shortest text that is this double: nothing rounded away
    return "" if value is None else str(value)
