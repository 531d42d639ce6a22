"""The two XLSX readers: calamine for plain sheets, openpyxl for everything it must name. The law: whenever the
fast reader answers, it answers what the careful one does; what it declines, the careful one reads or refuses
with the cell named."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from yangfan.collect import xlsx
from yangfan.collect.xlsx import Record, careful_records, read_xlsx
from yangfan.errors import YangfanError

HEADER = ["indicator", "org_unit", "period", "value", "unit", "disaggregation", "note"]


def workbook(rows: list[list[object]], header: list[object] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER if header is None else header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(content: bytes, old: str, new: str, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with text of one part replaced: to write what Excel writes and openpyxl does not."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                assert old in data.decode(), data.decode()[:2000]
                data = data.decode().replace(old, new).encode()
            dst.writestr(info.filename, data)
    return out.getvalue()


def normal(records: list[Record]) -> list[Record]:
    """Records as the import reads them: a blank cell is blank whatever its spaces, trailing blanks are no cells
    (calamine gives every row the sheet's width, and whitespace-only text as empty)."""
    out = []
    for n, texts in records:
        cells = ["" if not t.strip() else t for t in texts]
        while cells and not cells[-1]:
            cells.pop()
        out.append((n, cells))
    return out


def fast(content: bytes) -> list[Record] | None:
    xlsx._check_container(content, "f.xlsx")
    return xlsx._calamine_records(content)


# --- the law, on generated sheets ---------------------------------------------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t "), max_size=12)
cells = st.one_of(st.none(), texts, st.sampled_from(["bs_5g", "440300", "2025-06", "万个", "运营商上报", "  "]),
                  st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                  st.sampled_from([0.1 + 0.2, 1e300, -0.0, 440300.0, 2025.0, 1e-300]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cells, max_size=9), max_size=12))
def test_the_fast_reader_answers_as_the_careful_one(rows: list[list[object]]) -> None:
    content = workbook(rows)
    quick = fast(content)
    careful = careful_records(content, "f.xlsx")
    if quick is not None:
        assert normal(quick) == normal(careful)
    assert normal(read_xlsx(content, "f.xlsx")) == normal(careful)


def test_a_plain_sheet_is_read_by_calamine(monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[list[object]] = [["bs_5g", "440300", "2025-06", 8.1, "万个", "operator=cmcc", "运营商上报"],
                                [], ["bs_5g", 440100, "2025-06", 35.25, "万个", "", True]]
    content = workbook(rows)

    def never(content: bytes, file: str) -> list[Record]:
        raise AssertionError("the careful reader was asked")

    monkeypatch.setattr(xlsx, "careful_records", never)
    assert read_xlsx(content, "f.xlsx") == [
        (1, HEADER), (2, ["bs_5g", "440300", "2025-06", "8.1", "万个", "operator=cmcc", "运营商上报"]),
        (4, ["bs_5g", "440100", "2025-06", "35.25", "万个", "", "True"])]


def test_whole_numbers_read_as_integers_however_the_file_writes_them() -> None:
    content = workbook([["bs_5g", 440300, 2025, 8, ""]])
    for written in ("440300", "440300.0", "4.403E5"):
        variant = with_sheet_xml(content, "<v>440300</v>", f"<v>{written}</v>")
        assert careful_records(variant, "f.xlsx")[1][1][1:3] == ["440300", "2025"]
        assert (fast(variant) or [])[1][1][1:3] == ["440300", "2025"]
    exact = with_sheet_xml(content, "<v>8</v>", "<v>0.30000000000000004</v>")
    assert (fast(exact) or [])[1][1][3] == careful_records(exact, "f.xlsx")[1][1][3] == "0.30000000000000004"


# --- what the fast reader declines, and the careful one names -----------------------------------------------

def _refusals(content: bytes) -> list[tuple[str | None, str]]:
    with pytest.raises(YangfanError) as exc:
        read_xlsx(content, "f.xlsx")
    return [(i.location.entry, i.code) for i in exc.value.issues]


def test_a_formula_with_its_cached_value_is_refused_not_taken() -> None:
    # Excel stores a formula's last result beside it: calamine alone would read 35.2 as if typed.
    content = with_sheet_xml(workbook([["bs_5g", "440000", "2025-06", 1, "万个"]]),
                             '<c r="D2" t="n"><v>1</v></c>', '<c r="D2"><f>35+0.2</f><v>35.2</v></c>')
    assert fast(content) is None
    assert _refusals(content) == [("cell D2", "xlsx.formula")]


@pytest.mark.parametrize("cell", ['<c r="D2" t="e"><v>#DIV/0!</v></c>', '<c r="D2" s="0" t="e"><v>#N/A</v></c>',
                                  '<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'])
def test_an_error_value_is_refused_not_read_as_blank(cell: str) -> None:
    content = with_sheet_xml(workbook([["bs_5g", "440000", "2025-06", 1, "万个", "", "note"]]),
                             '<c r="D2" t="n"><v>1</v></c>', cell)
    assert fast(content) is None
    assert _refusals(content)[0][0] == "cell D2"


def test_a_date_is_refused_with_its_cell() -> None:
    content = workbook([["bs_5g", "440000", date(2025, 6, 1), 1, "万个"]])
    assert fast(content) is None
    assert _refusals(content) == [("cell C2", "xlsx.date")]


def test_an_escape_in_shared_strings_goes_to_the_careful_reader() -> None:
    content = workbook([["bs_5g", "440000", "2025-06", 1, "万个", "", "a_x000D_b"]])
    assert fast(content) is None
    assert read_xlsx(content, "f.xlsx") == careful_records(content, "f.xlsx")


def test_cells_placed_far_apart_do_not_make_calamine_allocate_a_huge_grid() -> None:
    # Two cells: calamine would allocate every cell of the rectangle between them (here 200,000 × 7).
    content = with_sheet_xml(workbook([["bs_5g", "440000", "2025-06", 1, "万个", "", "x"]]),
                             '<c r="G2" t="inlineStr"><is><t>x</t></is></c></row>',
                             '</row><row r="200000"><c r="G200000" t="inlineStr"><is><t>x</t></is></c></row>')
    assert fast(content) is None
    assert [n for n, _ in read_xlsx(content, "f.xlsx")] == [1, 2, 200000]


def test_a_cell_out_of_order_beyond_the_last_row_is_caught() -> None:
    # The extent is taken from the ends of the sheet, then checked against every cell.
    rows: list[list[object]] = [["bs_5g", "440000", "2025-06", i, "万个"] for i in range(1, 2000)]
    content = with_sheet_xml(workbook(rows), '<c r="A10" t="inlineStr">', '<c r="A900000" t="inlineStr">')
    assert fast(content) is None
    wide = with_sheet_xml(workbook(rows), '<c r="A10" t="inlineStr">', '<c r="XFD10" t="inlineStr">')
    assert fast(wide) is None


def test_the_container_checks_still_come_first() -> None:
    assert _refusals(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)) == [(None, "file.xlsx_unreadable")]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", bytes(xlsx.MAX_UNPACKED + 1))
    with pytest.raises(YangfanError) as exc:
        read_xlsx(bomb.getvalue(), "bomb.xlsx")
    assert "100 MB" in exc.value.issues[0].message_en
