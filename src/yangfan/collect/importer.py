"""Import files of data values (UTF-8 CSV or XLSX): all-or-nothing per file, idempotent by checksum."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from yangfan.catalog import Catalog
from yangfan.collect.rows import COLUMNS, REQUIRED, shown, validate_rows
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
_CSV_ERRORS = {  # csv's messages under strict=True, and what they mean to someone who saved a spreadsheet
    "field larger than field limit": ("字段过长（超过 {limit} 个字符）", "a field is longer than {limit} characters"),
    "expected after": ("引号后应紧跟逗号或换行（字段中的引号请写成两个 \"\"）",
                       "a closing quote must be followed by a comma or a line end (write a quote in a field as \"\")"),
    "unexpected end of data": ("引号未闭合", "a quote is not closed"),
}


def read_csv_records(content: bytes, file: str) -> list[Record]:
    """The non-blank records of a UTF-8 CSV (BOM optional; CRLF, LF or CR line ends), numbered as a spreadsheet
    numbers its rows: a quoted field may hold a line break and stays one row."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Not guess-decoded: GBK and GB18030 bytes also decode as other encodings, into wrong characters.
        line = content.count(b"\n", 0, exc.start) + 1
        raise YangfanError.single("file.encoding",
                                  f"文件不是 UTF-8 编码（第 {line} 行起；可能是 GBK/GB18030）：{_SAVE_AS[0]}",
                                  f"file is not UTF-8 encoded (from line {line}; perhaps GBK/GB18030): {_SAVE_AS[1]}",
                                  Location(file=file, row=line)) from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise YangfanError.single("file.nul",
                                  f"文件含 NUL 字节（第 {line} 行），可能是 UTF-16 或二进制文件：{_SAVE_AS[0]}",
                                  f"file contains NUL bytes (line {line}): perhaps UTF-16 or binary; {_SAVE_AS[1]}",
                                  Location(file=file, row=line))
    # newline="" hands the csv module every line end untouched, so quoted line breaks survive and a lone CR ends a row.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Record] = []
    try:
        for n, cells in enumerate(reader, start=1):
            if any(c.strip() for c in cells):
                records.append((n, cells))
    except csv.Error as exc:
        zh, en = next(((zh, en) for key, (zh, en) in _CSV_ERRORS.items() if key in str(exc)), ("格式错误", str(exc)))
        limit = csv.field_size_limit()
        raise YangfanError.single("file.csv", f"第 {reader.line_num} 行 CSV 格式错误：{zh.format(limit=limit)}",
                                  f"CSV format error at line {reader.line_num}: {en.format(limit=limit)}",
                                  Location(file=file, row=reader.line_num)) from None
    return records


def rows_of(records: list[Record], file: str) -> list[Row]:
    """The data rows under the header (row 1), by column name. Unknown, repeated and missing columns, data
    in a column without a name and a file without data rows are refused: nothing in a file is left unread."""
    if not records:
        raise _no_data(file)
    # A second BOM (a file saved twice) or padding is no part of a column's name.
    header = [c.strip().lstrip("\ufeff").strip() for c in records[0][1]] if records[0][0] == 1 else []
    _check_header(header, file)
    rows: list[Row] = []
    stray: list[Issue] = []
    for n, cells in records[1:]:
        extra = [c for c in cells[len(header):] if c.strip()]
        extra += [c for h, c in zip(header, cells, strict=False) if not h and c.strip()]
        if extra:
            stray.append(Issue("row.unnamed_column", f"第 {n} 行在没有列名的列中有数据“{shown(extra[0], 20)}”",
                               f"row {n} has data in a column without a name ('{shown(extra[0], 20)}')",
                               Location(file=file, row=n)))
        rows.append((n, {h: c for h, c in zip(header, cells, strict=False) if h}))
    if stray:
        raise YangfanError(stray)
    if not rows:
        raise _no_data(file)
    return rows


def _no_data(file: str) -> YangfanError:
    return YangfanError.single("file.empty", "文件中没有数据行", "the file has no data rows", Location(file=file))


def _check_header(header: list[str], file: str) -> None:
    issues: list[Issue] = []
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            issues.append(Issue("file.column_repeated", f"列“{shown(name)}”出现了不止一次",
                                f"column '{shown(name)}' appears more than once",
                                Location(file=file, row=1, field=name)))
        seen.add(name)
    unknown = [h for h in dict.fromkeys(header) if h and h not in COLUMNS]
    if unknown:
        issues.append(Issue("file.column_unknown",
                            f"未知的列：{'、'.join(map(shown, unknown))}（可用的列：{'、'.join(COLUMNS)}）",
                            f"unknown columns: {', '.join(map(shown, unknown))} (known: {', '.join(COLUMNS)})",
                            Location(file=file, row=1)))
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        issues.append(Issue("file.columns", f"表头（第 1 行）缺少必需的列：{'、'.join(missing)}",
                            f"the header (row 1) lacks the required columns: {', '.join(missing)}",
                            Location(file=file, row=1)))
    if issues:
        raise YangfanError(issues)


def read_rows(content: bytes, file_name: str) -> list[Row]:
    """The data rows of an import file, CSV or XLSX, each with its row number in the file."""
    records = read_xlsx(content, file_name) if is_workbook(content, file_name) else read_csv_records(content, file_name)
    return rows_of(records, file_name)


def read_csv_rows(content: bytes, file: str) -> list[dict[str, str | None]]:
    """Rows of a UTF-8 CSV file, without their numbers: for files without blank rows (else use ``read_rows``)."""
    return [{k: v for k, v in row.items()} for _, row in rows_of(read_csv_records(content, file), file)]


def import_csv(engine: Engine, path: Path, catalog: Catalog, tree: OrgUnitTree, *, status: Status = "approved",
               source_kind: str = "import", user: str = "system") -> WriteResult:
    """Validate every row of ``path`` (CSV or XLSX) and store them in one transaction, or store nothing."""
    return import_content(engine, path.read_bytes(), path.name, catalog, tree, status=status,
                          source_kind=source_kind, user=user)


def import_content(engine: Engine, content: bytes, file_name: str, catalog: Catalog, tree: OrgUnitTree, *,
                   status: Status = "approved", source_kind: str = "import", user: str = "system",
                   allowed: Callable[[NewValue], bool] | None = None) -> WriteResult:
    """Import a CSV's or an XLSX's bytes: every row valid and (when ``allowed`` is given) within the user's
    scope, or nothing."""
    if len(file_name) > MAX_FILE_NAME:
        raise YangfanError.single("file.name", f"文件名超过 {MAX_FILE_NAME} 个字符",
                                  f"the file name is longer than {MAX_FILE_NAME} characters")
    rows = read_rows(content, file_name)
    values = validate_rows([r for _, r in rows], catalog, tree, file_name, source_kind=source_kind,
                           source_title="" if source_kind == "published" else file_name,
                           numbers=[n for n, _ in rows])
    if allowed is not None:
        denied = [Issue("permission.denied", f"无权写入组织单元 {v.org_unit} 的数据",
                        f"no permission to write data of org unit {v.org_unit}",
                        Location(file=file_name, row=v.source_row, field="org_unit"))
                  for v in values if not allowed(v)]
        if denied:
            raise YangfanError(denied)
    with session_scope(engine) as session:
        return write_batch(session, file_name, checksum(content), values, status=status, user=user)
