"""Import files of data values (CSV in UTF-8 or GB18030/GBK, or XLSX): all-or-nothing per file, idempotent by
checksum."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from yangfan.catalog import Catalog
from yangfan.collect.rows import REQUIRED, column_of, known_columns, shown, validate_rows
from yangfan.collect.rules import Entry, Rules
from yangfan.collect.xlsx import Record, is_workbook, read_xlsx
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store.db import session_scope
from yangfan.store.repository import WriteResult, checksum, write_batch
from yangfan.store.values import NewValue, Status

#: The store's width of ``import_batch.file_name`` and ``source.title``.
MAX_FILE_NAME = 300
#: A data row: its number in the file and its cells by column.
Row = tuple[int, dict[str, str]]

_SAVE_AS = ("请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”", "save it from Excel as 'CSV UTF-8 (Comma delimited)'")
UTF8_BOM = b"\xef\xbb\xbf"
_CSV_ERRORS = {  # csv's messages under strict=True, and what they mean to someone who saved a spreadsheet
    "field larger than field limit": ("字段过长（超过 {limit} 个字符）", "a field is longer than {limit} characters"),
    "expected after": ("引号后应紧跟逗号或换行（字段中的引号请写成两个 \"\"）",
                       "a closing quote must be followed by a comma or a line end (write a quote in a field as \"\")"),
    "unexpected end of data": ("引号未闭合", "a quote is not closed"),
}


def decode_csv(content: bytes, file: str) -> str:
    """The text of a CSV file: UTF-8 when its bytes are UTF-8 (BOM optional), else GB18030, the superset of GBK
    that Excel on Chinese Windows writes as “CSV (逗号分隔)” (its BOM optional too). Bytes that are neither are
    refused, naming the line where reading stopped.

    UTF-8 is tried first and strictly: GB18030 reads almost any bytes, UTF-8 text included (as mojibake), while
    GBK text is hardly ever valid UTF-8. A UTF-8 BOM declares UTF-8: bytes after it are never read as GB18030.
    """
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        stop = exc.start
    if not content.startswith(UTF8_BOM):
        try:
            return content.decode("gb18030").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            stop = max(stop, exc.start)  # the reading that got further is the likelier encoding: its line
    line = content.count(b"\n", 0, stop) + content.count(b"\r", 0, stop) - content.count(b"\r\n", 0, stop) + 1
    raise YangfanError.single("file.encoding",
                              f"文件既不是 UTF-8 也不是 GBK/GB18030 编码（第 {line} 行起无法读取）：{_SAVE_AS[0]}",
                              f"file is neither UTF-8 nor GBK/GB18030 encoded (unreadable from line {line}): "
                              f"{_SAVE_AS[1]}",
                              Location(file=file, row=line))


def read_csv_records(content: bytes, file: str) -> list[Record]:
    """The non-blank records of a CSV in UTF-8 or GB18030/GBK (``decode_csv``; CRLF, LF or CR line ends),
    numbered as a spreadsheet numbers its rows: a quoted field may hold a line break and stays one row."""
    return list(_csv_records(content, file))


def _csv_records(content: bytes, file: str) -> Iterator[Record]:
    """``read_csv_records`` one record at a time: each row's cells can be let go as soon as they are read."""
    text = decode_csv(content, file)
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise YangfanError.single("file.nul",
                                  f"文件含 NUL 字节（第 {line} 行），可能是 UTF-16 或二进制文件：{_SAVE_AS[0]}",
                                  f"file contains NUL bytes (line {line}): perhaps UTF-16 or binary; {_SAVE_AS[1]}",
                                  Location(file=file, row=line))
    # newline="" hands the csv module every line end untouched, so quoted line breaks survive and a lone CR ends a row.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for n, cells in enumerate(reader, start=1):
            if "".join(cells).strip():  # some cell is not blank
                yield n, cells
    except csv.Error as exc:
        zh, en = next(((zh, en) for key, (zh, en) in _CSV_ERRORS.items() if key in str(exc)), ("格式错误", str(exc)))
        limit = csv.field_size_limit()
        raise YangfanError.single("file.csv", f"第 {reader.line_num} 行 CSV 格式错误：{zh.format(limit=limit)}",
                                  f"CSV format error at line {reader.line_num}: {en.format(limit=limit)}",
                                  Location(file=file, row=reader.line_num)) from None


def rows_of(records: Iterable[Record], file: str) -> list[Row]:
    """The data rows under the header (row 1), by column (headings may be aliases: 数值 for value). Unknown,
    repeated and missing columns, data in a column without a name and a file without data rows are refused:
    nothing in a file is left unread. ``records`` may be read as they come (``_csv_records``)."""
    records = iter(records)
    first = next(records, None)
    if first is None:
        raise _no_data(file)
    try:
        header = columns_of(first[1] if first[0] == 1 else [], file)
    except YangfanError:
        for _ in records:  # a malformed line further on is named first, as when the file is read whole
            pass
        raise
    width = len(header)
    named = [(i, h) for i, h in enumerate(header) if h]
    unnamed = [i for i, h in enumerate(header) if not h]
    rows: list[Row] = []
    stray: list[Issue] = []
    for n, cells in records:
        extra = [c for c in cells[width:] if c.strip()] if len(cells) > width else []
        if unnamed:
            extra += [cells[i] for i in unnamed if i < len(cells) and cells[i].strip()]
        if extra:
            stray.append(Issue("row.unnamed_column", f"第 {n} 行在没有列名的列中有数据“{shown(extra[0], 20)}”",
                               f"row {n} has data in a column without a name ('{shown(extra[0], 20)}')",
                               Location(file=file, row=n)))
        if unnamed:
            count = len(cells)
            rows.append((n, {h: cells[i] for i, h in named if i < count}))
        else:  # every column named (the usual file): zip stops at a short row's last cell
            rows.append((n, dict(zip(header, cells, strict=False))))
    if stray:
        raise YangfanError(stray)
    if not rows:
        raise _no_data(file)
    return rows


def _no_data(file: str) -> YangfanError:
    return YangfanError.single("file.empty", "文件中没有数据行", "the file has no data rows", Location(file=file))


def columns_of(headings: list[str], file: str) -> list[str]:
    """The column each heading of row 1 names, "" under a blank one; an unknown heading (named with its column
    letter and the names that are known), two headings of one column and a missing required column are refused."""
    issues: list[Issue] = []
    columns: list[str] = []
    first: dict[str, int] = {}
    for i, heading in enumerate(headings):
        letter = get_column_letter(i + 1)
        # A second BOM (a file saved twice) or padding is no part of a column's name.
        name = heading.strip().lstrip("\ufeff").strip()
        column = column_of(name) if name else ""
        if column is None:
            issues.append(Issue("file.column_unknown",
                                f"第 1 行第 {letter} 列“{shown(name)}”不是可识别的列名"
                                f"（可用的列：{known_columns('zh')}）",
                                f"column {letter} of row 1, '{shown(name)}', is not a known column (known: "
                                f"{known_columns('en')})",
                                Location(file=file, row=1, entry=f"column {letter}")))
            column = ""  # its data, if any, is not read: the file is refused anyway
        elif column in first:
            j = first[column]
            earlier = headings[j].strip().lstrip("\ufeff").strip()
            issues.append(Issue("file.column_repeated",
                                f"第 1 行第 {letter} 列“{shown(name)}”与第 {get_column_letter(j + 1)} 列"
                                f"“{shown(earlier)}”是同一列 {column}，出现了不止一次",
                                f"column {letter} of row 1, '{shown(name)}', repeats column "
                                f"{get_column_letter(j + 1)} ('{shown(earlier)}'): column {column} appears more "
                                "than once",
                                Location(file=file, row=1, field=column, entry=f"column {letter}")))
        elif column:
            first[column] = i
        columns.append(column)
    missing = [c for c in REQUIRED if c not in first]
    if missing:
        issues.append(Issue("file.columns", f"表头（第 1 行）缺少必需的列：{'、'.join(missing)}"
                                            f"（列名也可用中文，如 指标、组织单元、期间、数值）",
                            f"the header (row 1) lacks the required columns: {', '.join(missing)} (headings may "
                            "also be in Chinese, e.g. 指标, 组织单元, 期间, 数值)",
                            Location(file=file, row=1)))
    if issues:
        raise YangfanError(issues)
    return columns


def read_rows(content: bytes, file_name: str) -> list[Row]:
    """The data rows of an import file, CSV or XLSX, each with its row number in the file."""
    workbook = is_workbook(content, file_name)
    return rows_of(read_xlsx(content, file_name) if workbook else _csv_records(content, file_name), file_name)


def read_csv_rows(content: bytes, file: str) -> list[dict[str, str | None]]:
    """Rows of a CSV file (UTF-8 or GB18030), without their numbers: for files without blank rows (else use
    ``read_rows``)."""
    return [{k: v for k, v in row.items()} for _, row in rows_of(read_csv_records(content, file), file)]


def _validated(content: bytes, file_name: str, catalog: Catalog, tree: OrgUnitTree, source_kind: str
               ) -> list[NewValue]:
    """The file's rows as data values; their text is let go on return (a million rows hold about a gigabyte)."""
    rows = read_rows(content, file_name)
    return validate_rows([r for _, r in rows], catalog, tree, file_name, source_kind=source_kind,
                         source_title="" if source_kind == "published" else file_name, numbers=[n for n, _ in rows])


def import_csv(engine: Engine, path: Path, catalog: Catalog, tree: OrgUnitTree, *, status: Status = "approved",
               source_kind: str = "import", user: str = "system", rules: Rules | None = None,
               today: date | None = None) -> WriteResult:
    """Validate every row of ``path`` (CSV or XLSX) and store them in one transaction, or store nothing."""
    return import_content(engine, path.read_bytes(), path.name, catalog, tree, status=status,
                          source_kind=source_kind, user=user, rules=rules, today=today)


def import_content(engine: Engine, content: bytes, file_name: str, catalog: Catalog, tree: OrgUnitTree, *,
                   status: Status = "approved", source_kind: str = "import", user: str = "system",
                   allowed: Callable[[NewValue], bool] | None = None, rules: Rules | None = None,
                   today: date | None = None) -> WriteResult:
    """Import a CSV's or an XLSX's bytes: every row valid and (when ``allowed`` is given) within the user's
    scope, and (when ``rules`` are given) passing the validation rules, a soft hit explained in the row's note;
    or nothing."""
    if len(file_name) > MAX_FILE_NAME:
        raise YangfanError.single("file.name", f"文件名超过 {MAX_FILE_NAME} 个字符",
                                  f"the file name is longer than {MAX_FILE_NAME} characters")
    with collector_paused():
        values = _validated(content, file_name, catalog, tree, source_kind)
        if allowed is not None:
            denied = [Issue("permission.denied", f"无权写入组织单元 {v.org_unit} 的数据",
                            f"no permission to write data of org unit {v.org_unit}",
                            Location(file=file_name, row=v.source_row, field="org_unit"))
                      for v in values if not allowed(v)]
            if denied:
                raise YangfanError(denied)
        with session_scope(engine) as session:
            if rules is not None:
                from yangfan.collect.reporting import as_error, check

                entries = [Entry(v, file_name, None, v.source_row, "value", v.note) for v in values]
                result = check(session, catalog, tree, entries, today or date.today(), rules)
                if not result.ok:
                    raise as_error(result)
            return write_batch(session, file_name, checksum(content), values, status=status, user=user)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk import: a file's rows, values and new store rows are
    hundreds of thousands of objects without cycles that it would otherwise scan again and again for nothing
    (a fifth of an import's time). Only the caller that paused it resumes it, so that imports running side by
    side never leave it off; cycles made meanwhile are collected when it resumes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
