"""Imports into the store, on SQLite and on a real PostgreSQL server: all-or-nothing, idempotent, versioned."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.builders import IMPORT_COLUMNS, good_rows, platform, write_import
from yangfan.collect.importer import import_content, import_csv
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow, DataValueRow, ImportBatchRow, SourceRow
from yangfan.store.repository import WriteResult, history

HEADER = ",".join(IMPORT_COLUMNS)
GOOD_LINES = [",".join(r.get(c, "") for c in IMPORT_COLUMNS) for r in good_rows()]


@pytest.fixture
def y(tmp_path: Path, store_url: str) -> Yangfan:
    return platform(tmp_path, store_url)


def _count(y: Yangfan) -> int:
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).select_from(DataValueRow)) or 0)


def _import(y: Yangfan, path: Path):  # type: ignore[no-untyped-def]
    return import_csv(y.engine, path, y.catalog, y.tree)


def test_import_converts_units_and_is_idempotent(y: Yangfan, tmp_path: Path) -> None:
    f = write_import(tmp_path / "a.csv", good_rows())
    first = _import(y, f)
    assert (first.inserted, first.revised, first.repeated) == (3, 0, False)
    again = _import(y, f)
    assert again.repeated and _count(y) == 3
    with session_scope(y.engine) as s:
        row = s.scalars(select(DataValueRow).where(DataValueRow.org_unit_code == "440000",
                                                   DataValueRow.indicator_code == "bs_5g")).one()
        assert row.value == 352_000 and row.status == "approved" and row.source_row == 2


def test_revision_keeps_history(y: Yangfan, tmp_path: Path) -> None:
    _import(y, write_import(tmp_path / "a.csv", good_rows()))
    rows = good_rows()
    rows[0]["value"] = "35.4"
    result = import_csv(y.engine, write_import(tmp_path / "a.csv", rows), y.catalog, y.tree)
    assert (result.inserted, result.revised, result.unchanged) == (0, 1, 2)
    with session_scope(y.engine) as s:
        versions = history(s, "bs_5g", "440000", "2025-06")
        assert [(v.version, v.value, v.is_current) for v in versions] == [(1, 352_000, False), (2, 354_000, True)]
        assert sum(v.preferred for v in versions) == 1 and versions[1].preferred


@pytest.mark.parametrize("change,field,code", [
    ({"org_unit": "449999"}, "org_unit", "row.org_unit"),
    ({"period": "2025-13"}, "period", "period.invalid"),
    ({"value": "三十五"}, "value", "row.value"),
    ({"indicator": ""}, "indicator", "row.missing"),
    ({"indicator": "bs_5g_per_10k"}, "indicator", "row.derived"),
    ({"unit": "千个"}, "unit", "row.unit"),
    ({"period": "2025Q2"}, "period", "row.period_type"),
])
def test_bad_row_rejects_the_whole_file(y: Yangfan, tmp_path: Path, change: dict[str, str], field: str,
                                        code: str) -> None:
    rows = good_rows()
    rows[2].update(change)
    with pytest.raises(YangfanError) as exc:
        _import(y, write_import(tmp_path / "bad.csv", rows))
    issue = exc.value.issues[0]
    assert (issue.location.file, issue.location.row, issue.location.field, issue.code) == ("bad.csv", 4, field, code)
    assert issue.message_zh and issue.message_en
    assert _count(y) == 0
    with session_scope(y.engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatchRow)) == 0


def test_duplicate_value_in_a_file_is_refused(y: Yangfan, tmp_path: Path) -> None:
    rows = good_rows() + [dict(good_rows()[1])]
    with pytest.raises(YangfanError) as exc:
        _import(y, write_import(tmp_path / "dup.csv", rows))
    issue = exc.value.issues[0]
    assert issue.code == "row.duplicate" and issue.location.row == 5 and "3" in issue.message_en
    assert _count(y) == 0


def test_every_problem_of_a_file_is_reported_at_once(y: Yangfan, tmp_path: Path) -> None:
    rows = good_rows()
    rows[0]["value"] = "x"
    rows[1]["org_unit"] = "000001"
    with pytest.raises(YangfanError) as exc:
        _import(y, write_import(tmp_path / "bad.csv", rows))
    assert [(i.location.row, i.location.field) for i in exc.value.issues] == [(2, "value"), (3, "org_unit")]


def test_conflicting_sources_are_kept_with_one_preferred(y: Yangfan, tmp_path: Path) -> None:
    a = [{"indicator": "bs_5g", "org_unit": "100000", "period": "2024-12", "value": "425", "unit": "万个",
          "source_url": "https://example.org/a"}]
    b = [{**a[0], "value": "425.1", "source_url": "https://example.org/b", "qualifier": "exact"}]
    c = [{**a[0], "value": "420", "source_url": "https://example.org/c", "qualifier": "lower_bound"}]
    for name, rows in (("a.csv", a), ("b.csv", b), ("c.csv", c)):
        _import(y, write_import(tmp_path / name, rows))
    with session_scope(y.engine) as s:
        rows_ = history(s, "bs_5g", "100000", "2024-12")
        assert len(rows_) == 3
        preferred = [r for r in rows_ if r.preferred]
        assert len(preferred) == 1 and preferred[0].value == 4_251_000  # exact beats lower bound; latest wins a tie


def test_history_loads_on_this_store(y: Yangfan) -> None:
    results = y.load_history()
    assert sum(r.inserted for r in results.values()) > 500
    assert all(r.repeated for r in y.load_history().values())


def _counts(y: Yangfan) -> tuple[int, ...]:
    """Rows of every table an import writes to."""
    with session_scope(y.engine) as s:
        return tuple(int(s.scalar(select(func.count()).select_from(t)) or 0)
                     for t in (DataValueRow, ImportBatchRow, AuditRow, SourceRow))


def _refused(y: Yangfan, content: bytes, name: str = "f.csv") -> list[tuple[int | None, str | None, str]]:
    """The issues of a refused file, after checking that it wrote nothing."""
    before = _counts(y)
    with pytest.raises(YangfanError) as exc:
        import_content(y.engine, content, name, y.catalog, y.tree)
    assert _counts(y) == before
    assert all(i.message_zh and i.message_en and i.location.file == name for i in exc.value.issues)
    return [(i.location.row, i.location.field, i.code) for i in exc.value.issues]


def _stored(y: Yangfan, result: WriteResult) -> list[tuple[int | None, str, float, str]]:
    with session_scope(y.engine) as s:
        rows = s.scalars(select(DataValueRow).where(DataValueRow.batch_id == result.batch_id)
                         .order_by(DataValueRow.source_row))
        return [(r.source_row, r.org_unit_code, r.value, r.note) for r in rows]


def xlsx_import(rows: list[list[object]]) -> bytes:
    """An XLSX import file: a header of the builders' columns, then ``rows`` as typed cells."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(IMPORT_COLUMNS)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet_xml(content: bytes, old: str, new: str) -> bytes:
    """The workbook with text of its sheet's XML replaced: to store a number exactly as Excel may write it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert old in data.decode()
                data = data.decode().replace(old, new).encode()
            dst.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n", HEADER.encode(),
                                     (HEADER + "\r\n,,,,\r\n\r\n").encode()],
                         ids=["empty", "bom", "blank", "header", "header-and-blank-rows"])
def test_a_file_without_data_rows_is_refused(y: Yangfan, content: bytes) -> None:
    assert _refused(y, content) == [(None, None, "file.empty")]


def test_a_header_without_the_required_columns_names_them(y: Yangfan) -> None:
    assert _refused(y, b"indicator,unit\nbs_5g,\xe4\xb8\x87\xe4\xb8\xaa\n") == [(1, None, "file.columns")]
    with pytest.raises(YangfanError) as exc:
        import_content(y.engine, b"indicator,unit\nbs_5g,x\n", "f.csv", y.catalog, y.tree)
    assert "org_unit, period, value" in exc.value.issues[0].message_en
    assert "org_unit、period、value" in exc.value.issues[0].message_zh


def test_unknown_and_repeated_columns_and_unnamed_data_are_refused(y: Yangfan) -> None:
    # 数值 is another name of value (rows.ALIASES): a second value column, not an unknown one.
    assert _refused(y, (HEADER + ",数量,数值\n" + GOOD_LINES[0] + ",1,2\n").encode()) == [
        (1, None, "file.column_unknown"), (1, "value", "file.column_repeated")]
    assert _refused(y, (HEADER + "\n" + GOOD_LINES[0] + ",lost\n").encode()) == [(2, None, "row.unnamed_column")]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_utf8_with_any_line_ending_is_read_row_by_row(y: Yangfan, bom: bytes, eol: str) -> None:
    # A blank line and a quoted line break keep the rows numbered as a spreadsheet shows them.
    text = eol.join([HEADER + ",note", GOOD_LINES[0] + ',"first' + eol + 'line"', "", GOOD_LINES[1] + ",", ""])
    result = import_content(y.engine, bom + text.encode(), "f.csv", y.catalog, y.tree)
    assert _stored(y, result) == [(2, "440000", 352_000, "first" + eol + "line"), (4, "440300", 81_000, "")]


def test_a_gbk_file_is_read_and_bytes_of_no_encoding_are_refused(y: Yangfan) -> None:
    content = (HEADER + ",note\n" + GOOD_LINES[0] + ",广东\n").encode("gb18030")
    assert _stored(y, import_content(y.engine, content, "f.csv", y.catalog, y.tree))[0][3] == "广东"
    broken = content.replace(",广东".encode("gb18030"), b",\xff")
    assert _refused(y, broken) == [(2, None, "file.encoding")]
    with pytest.raises(YangfanError) as exc:
        import_content(y.engine, broken, "f.csv", y.catalog, y.tree)
    assert "UTF-8" in exc.value.issues[0].message_zh and "save it" in exc.value.issues[0].message_en


def test_nul_bytes_and_utf16_are_refused(y: Yangfan) -> None:
    assert _refused(y, (HEADER + "\n" + GOOD_LINES[0] + "\0\n").encode()) == [(2, None, "file.nul")]
    assert _refused(y, (HEADER + "\n" + GOOD_LINES[0]).encode("utf-16-le")) == [(1, None, "file.nul")]
    assert _refused(y, (HEADER + "\n" + GOOD_LINES[0]).encode("utf-16")) == [(1, None, "file.encoding")]


@pytest.mark.parametrize("line,code_row", [
    ('bs_5g,440000,2025-06,"35"2,万个,,,', 2),  # a quote inside a field: csv alone would glue it to the text
    ('bs_5g,440000,2025-06,35,万个,,,"no end', 3),
    ("bs_5g,440000,2025-06,35,万个,,," + "x" * 200_000, 2),
])
def test_malformed_csv_is_refused_with_its_line(y: Yangfan, line: str, code_row: int) -> None:
    assert _refused(y, (HEADER + "\n" + line + "\nbs_5g,440300,2025-06,1,万个,,,\n").encode()) == [
        (code_row, None, "file.csv")]


def test_a_bad_source_url_or_priority_rejects_the_file(y: Yangfan) -> None:
    content = (HEADER + ",priority\n" + GOOD_LINES[0] + "javascript:alert(1),\n" + GOOD_LINES[1] + ",1.5\n").encode()
    assert _refused(y, content) == [(2, "source_url", "row.source_url"), (3, "priority", "row.priority")]


def test_an_overflowing_value_rejects_the_file(y: Yangfan) -> None:
    content = (HEADER + "\nbs_5g,440000,2025-06,1e305,万个,,,\nbs_5g,440300,2025-06,1e999999999,,,,\n").encode()
    assert _refused(y, content) == [(2, "value", "row.value_range"), (3, "value", "row.value_range")]


def test_an_xlsx_file_is_imported_like_its_csv(y: Yangfan) -> None:
    rows: list[list[object]] = [["bs_5g", "440000", "2025-06", 35.2, "万个"],
                                ["bs_5g", 440300, "2025-06", "8.1", "万个"], [],
                                ["users_5g_mobile_phone", "440000", "2025-06", 11000, "万户"]]
    content = xlsx_import(rows)
    result = import_content(y.engine, content, "a.xlsx", y.catalog, y.tree)
    assert (result.inserted, result.repeated) == (3, False)
    assert [r[:3] for r in _stored(y, result)] == [(2, "440000", 352_000), (3, "440300", 81_000),
                                                    (5, "440000", 110_000_000)]
    before = _counts(y)
    assert import_content(y.engine, content, "a.xlsx", y.catalog, y.tree).repeated and _counts(y) == before


def test_an_xlsx_is_recognised_by_its_signature_whatever_its_name(y: Yangfan) -> None:
    result = import_content(y.engine, xlsx_import([["bs_5g", "440000", "2025-06", 35.2, "万个"]]), "upload", y.catalog,
                            y.tree)
    assert result.inserted == 1


def test_an_xlsx_number_is_taken_exactly_as_stored(y: Yangfan) -> None:
    # Excel writes doubles with 17 digits; openpyxl reads them back as the same double, kept to its last bit.
    content = _with_sheet_xml(xlsx_import([["bs_5g", "440000", "2025-06", 0.5, ""]]), "<v>0.5</v>",
                              "<v>0.30000000000000004</v>")
    result = import_content(y.engine, content, "a.xlsx", y.catalog, y.tree)
    assert _stored(y, result)[0][2] == 0.1 + 0.2 != 0.3


def test_formulas_errors_and_dates_in_an_xlsx_are_refused_with_their_cell(y: Yangfan) -> None:
    content = xlsx_import([["bs_5g", "440000", "2025-06", "=35+0.2", "万个"],
                           ["bs_5g", "440300", date(2025, 6, 1), "#DIV/0!", "万个"],
                           ["bs_5g", "110000", "2025-06", 1, "万个", "", "", '=HYPERLINK("https://example.org")']])
    assert _refused(y, content, "a.xlsx") == [(2, "value", "xlsx.formula"), (3, "period", "xlsx.date"),
                                              (3, "value", "xlsx.error_value"), (4, "source_url", "xlsx.formula")]
    with pytest.raises(YangfanError) as exc:
        import_content(y.engine, content, "a.xlsx", y.catalog, y.tree)
    first = exc.value.issues[0]
    assert (first.location.entry, "公式" in first.message_zh, "formula" in first.message_en) == ("cell D2", True, True)


@pytest.mark.parametrize("content,name", [
    (b"not a zip", "a.xlsx"), (b"PK\x03\x04broken", "a.csv"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "a.xls"),
], ids=["not-zip", "broken-zip", "xls"])
def test_a_damaged_workbook_is_a_clear_file_error(y: Yangfan, content: bytes, name: str) -> None:
    assert _refused(y, content, name) == [(None, None, "file.xlsx_unreadable")]


def test_a_truncated_workbook_is_a_clear_file_error(y: Yangfan) -> None:
    content = xlsx_import([["bs_5g", "440000", "2025-06", 35.2, "万个"]])
    assert _refused(y, content[: len(content) // 2], "a.xlsx") == [(None, None, "file.xlsx_unreadable")]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(y: Yangfan) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", bytes(101 * 2**20))
    assert len(bomb.getvalue()) < 2**20
    with pytest.raises(YangfanError) as exc:
        import_content(y.engine, bomb.getvalue(), "bomb.xlsx", y.catalog, y.tree)
    assert "100 MB" in exc.value.issues[0].message_en and _count(y) == 0
