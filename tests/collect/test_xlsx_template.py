"""Excel templates of returns: written, filled as a reporter fills them, read back, and annotated."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.worksheet import Worksheet

from tests.builders import platform
from yangfan.collect import reporting
from yangfan.collect import xlsx_template as xt
from yangfan.collect.forms import Form
from yangfan.collect.reporting import GridRow
from yangfan.collect.rules import Problem
from yangfan.collect.xlsx import MAX_UNPACKED
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.store.submissions import CellInput, ReturnKey

OPERATOR = "operator=cmcc"
TODAY = date(2026, 10, 5)


@pytest.fixture(scope="module")
def y(tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    """A platform on an empty SQLite store, with the real catalog, org units and forms."""
    return platform(Path(tmp_path_factory.mktemp("xlsx_template")))


@pytest.fixture(scope="module")
def opm(y: Yangfan) -> tuple[Form, ReturnKey, list[GridRow]]:
    """China Mobile's return for Guangdong, September 2026, as the entry grid gives it."""
    form = y.forms["OPM"]
    key = reporting.key_for(form, "440000", "cmcc", "2026-09", y.tree)
    with session_scope(y.engine) as s:
        _row, rows = reporting.grid(s, form, key)
    return form, key, rows


@pytest.fixture(scope="module")
def template(y: Yangfan, opm: tuple[Form, ReturnKey, list[GridRow]]) -> bytes:
    form, key, rows = opm
    return xt.write_template(form, key, rows, y.tree, y.catalog)


def _edit(content: bytes, change: Callable[[Worksheet], None]) -> bytes:
    """The workbook after a reporter's change to sheet 填报, saved as Excel would."""
    book = load_workbook(io.BytesIO(content))
    change(book[xt.SHEET])
    return xt.workbook_bytes(book)  # numbers exact, as Excel writes them


def _refusal(content: bytes) -> list[tuple[str, str | None]]:
    with pytest.raises(YangfanError) as exc:
        xt.read_template(content, "filled.xlsx")
    return [(i.code, i.location.entry) for i in exc.value.issues]


def test_the_template_identifies_itself_and_is_protected(template: bytes) -> None:
    book = load_workbook(io.BytesIO(template))
    assert book.sheetnames == [xt.SHEET, xt.GUIDE, xt.META]
    assert book.security is not None and book.security.lockStructure
    assert book[xt.META].sheet_state == "veryHidden"
    ws = book[xt.SHEET]
    assert ws.protection.sheet and not ws.protection.password
    assert book[xt.GUIDE].protection.sheet
    assert ws.column_dimensions[xt.CODE].hidden
    assert ws["A1"].value == "5G发展情况月报（运营商分省）" and ws["A1"].font.name == "等线"
    assert "广东省" in ws["C3"].value and "中国移动" in ws["C4"].value and "2026年10月10日" in ws["C6"].value
    assert "数值请按计量单位填写" in ws["A7"].value
    assert [ws[f"B{r}"].value for r in (9, 19)] == ["移动通信基站总数", "移动互联网接入流量（2026年1–9月累计）"]
    assert [ws[f"C{r}"].value for r in (9, 14, 19)] == ["个", "户", "GB"]
    meta = [r for r in book[xt.META].iter_rows(values_only=True)]
    assert meta[:5] == [("yangfan_template", xt.VERSION), ("form", "OPM"), ("org_unit", "440000"),
                        ("reporter", "cmcc"), ("period", "2026-09")]
    assert xt.is_template(template)


def test_only_the_value_and_explanation_cells_are_open(template: bytes) -> None:
    ws = load_workbook(io.BytesIO(template))[xt.SHEET]
    open_cells = {c.coordinate for line in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=8)
                  for c in line if not isinstance(c, MergedCell) and not c.protection.locked}
    items = range(xt.FIRST_ROW, xt.FIRST_ROW + 12)
    assert open_cells == {f"{col}{r}" for r in items for col in "FG"} | {"C22", "C23"}


def test_value_cells_take_non_negative_numbers_and_say_what_they_are(template: bytes) -> None:
    ws = load_workbook(io.BytesIO(template))[xt.SHEET]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    bs_5g = rules["F11"]
    assert (bs_5g.type, bs_5g.operator, bs_5g.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert bs_5g.promptTitle == "5G基站数" and "单位：个" in (bs_5g.prompt or "")
    assert "期末已开通并投入使用的5G基站总数" in (bs_5g.prompt or "")
    assert all(len(dv.prompt or "") <= 255 and len(dv.promptTitle or "") <= 32 for dv in rules.values())
    assert rules["G9:G20"].type == "textLength"


def test_a_filled_template_reads_back_with_where_each_figure_stood(
        y: Yangfan, opm: tuple[Form, ReturnKey, list[GridRow]], template: bytes) -> None:
    form, key, _rows = opm

    def fill(ws: Worksheet) -> None:
        for n in range(12):
            ws[f"F{xt.FIRST_ROW + n}"] = 1000 * (n + 1) + 0.25
        ws["F11"] = "352,000"  # pasted as text, thousands separators and all
        ws["G11"] = "新建基站集中开通"
        ws["F20"] = None
        ws["C22"], ws["C23"] = "张三", "020-12345678"
    filled = xt.read_template(_edit(template, fill), "OPM_440000_cmcc_2026-09.xlsx")
    assert filled.key == key
    assert filled.entered[("bs_mobile_total", OPERATOR)].value == 1000.25
    assert filled.entered[("bs_5g", OPERATOR)] == CellInput(352000.0, "新建基站集中开通")
    assert filled.entered[("traffic_5g", OPERATOR)].value is None
    assert filled.where[("bs_5g", OPERATOR)] == ("填报", 11, "F")
    assert list(filled.entered) == [(c, OPERATOR) for c in form.indicator_codes]
    assert filled.contact == {"filler": "张三", "phone": "020-12345678"}
    values = reporting.values_of(form, key, filled.entered, filled.where)
    assert {v.indicator: v.source_cell for v in values}["bs_5g"] == "填报!F11"


def test_prefilled_figures_show_and_locked_cells_stay_shut(
        y: Yangfan, opm: tuple[Form, ReturnKey, list[GridRow]]) -> None:
    form, key, rows = opm
    rows = [replace(rows[0], value=123456.0, previous=120000.0, year_before=99000.5, explanation="复核无误"),
            replace(rows[1], value=7.0, locked=True), *rows[2:11], replace(rows[11], value=0.30000000000000004)]
    content = xt.write_template(form, key, rows, y.tree, y.catalog)
    ws = load_workbook(io.BytesIO(content))[xt.SHEET]
    assert [ws[f"{c}9"].value for c in "DEFG"] == [120000, 99000.5, 123456, "复核无误"]
    assert ws["D9"].number_format == "#,##0" and ws["F10"].protection.locked
    filled = xt.read_template(content, "t.xlsx")
    assert filled.entered[("bs_mobile_total", OPERATOR)] == CellInput(123456.0, "复核无误")
    assert filled.entered[("traffic_5g", OPERATOR)].value == 0.30000000000000004  # all 17 digits kept


@pytest.mark.parametrize(("code", "org_unit", "reporter", "period"),
                         [("PRQ", "440000", "", "2026Q3"), ("DPY", "100000", "caict", "2025")])
def test_every_form_round_trips(y: Yangfan, code: str, org_unit: str, reporter: str, period: str) -> None:
    form = y.forms[code]
    key = reporting.key_for(form, org_unit, reporter, period, y.tree)
    with session_scope(y.engine) as s:
        _row, rows = reporting.grid(s, form, key)
    content = xt.write_template(form, key, rows, y.tree, y.catalog)
    filled = xt.read_template(_edit(content, lambda ws: ws.cell(xt.FIRST_ROW, 6, 42)), "t.xlsx")
    assert filled.key == key
    assert filled.entered[(form.indicator_codes[0], "")].value == 42.0


def test_the_english_template_reads_the_same(y: Yangfan, opm: tuple[Form, ReturnKey, list[GridRow]]) -> None:
    form, key, rows = opm
    content = xt.write_template(form, key, rows, y.tree, y.catalog, lang="en")
    ws = load_workbook(io.BytesIO(content))[xt.SHEET]
    assert ws["A1"].value == form.name_en and ws["F8"].value == "Value\n本期数值"
    assert xt.read_template(content, "t.xlsx").key == key


def test_moved_or_deleted_rows_are_refused(template: bytes) -> None:
    def swap(ws: Worksheet) -> None:
        for col in "ABCDEFGH":
            ws[f"{col}9"].value, ws[f"{col}10"].value = ws[f"{col}10"].value, ws[f"{col}9"].value
    assert _refusal(_edit(template, swap)) == [("template.rows", "填报!H9")]
    assert _refusal(_edit(template, lambda ws: ws.delete_rows(12))) == [("template.rows", "填报!H12")]
    with pytest.raises(YangfanError) as exc:
        xt.read_template(_edit(template, swap), "t.xlsx")
    assert "重新下载模板" in exc.value.issues[0].message_zh and "download" in exc.value.issues[0].message_en


def test_text_that_is_no_number_is_refused_naming_each_cell(template: bytes) -> None:
    def fill(ws: Worksheet) -> None:
        ws["F9"], ws["F13"], ws["F14"] = "１２３", "约35万", " 56 "
    with pytest.raises(YangfanError) as exc:
        xt.read_template(_edit(template, fill), "t.xlsx")
    issues = exc.value.issues
    assert [(i.location.entry, i.location.row, i.location.field) for i in issues] == [("填报!F9", 9, "F"),
                                                                                      ("填报!F13", 13, "F")]
    assert issues[0].message_zh.startswith("填报!F9") and "全角" in issues[0].message_zh
    assert "full-width" in issues[0].message_en


def test_a_formula_is_refused_asking_for_the_value(template: bytes) -> None:
    content = _edit(template, lambda ws: ws.cell(10, 6, "=F9*2"))
    with pytest.raises(YangfanError) as exc:
        xt.read_template(content, "t.xlsx")
    (issue,) = exc.value.issues
    assert (issue.code, issue.location.entry) == ("template.formula", "填报!F10")
    assert "粘贴" in issue.message_zh and "=F9*2" in issue.message_zh and "Paste Special" in issue.message_en


def test_a_workbook_that_is_no_template_is_told_apart() -> None:
    book = Workbook()
    book.worksheets[0].append(["indicator", "org_unit", "period", "value"])
    out = io.BytesIO()
    book.save(out)
    assert not xt.is_template(out.getvalue())
    assert _refusal(out.getvalue()) == [("template.not_template", None)]
    assert not xt.is_template(b"indicator,org_unit\n")


def test_hostile_files_are_refused_before_they_are_read(template: bytes) -> None:
    assert _refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)) == [("template.xls", None)]
    assert _refusal(template[:2000]) == [("file.xlsx_unreadable", None)]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("xl/padding.bin", bytes(MAX_UNPACKED + 1))
    with pytest.raises(YangfanError) as exc:
        xt.read_template(bomb.getvalue(), "bomb.xlsx")
    assert "MB" in exc.value.issues[0].message_zh


def test_a_number_beyond_a_double_is_refused(template: bytes) -> None:
    filled = io.BytesIO(_edit(template, lambda ws: ws.cell(9, 6, 1.5)))
    out = io.BytesIO()
    with zipfile.ZipFile(filled) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data.replace(b"<v>1.5</v>", b"<v>1" + b"0" * 400 + b"</v>"))
    assert _refusal(out.getvalue()) == [("template.value", "填报!F9")]


@pytest.mark.parametrize(("cell", "value"), [("B1", "0"), ("B2", "opm'; drop"), ("B5", "2026-13")])
def test_a_damaged_identifying_sheet_is_refused(template: bytes, cell: str, value: str) -> None:
    book = load_workbook(io.BytesIO(template))
    book[xt.META][cell] = value
    assert _refusal(xt.workbook_bytes(book)) == [("template.version", xt.META)]


def _problems(y: Yangfan, form: Form, key: ReturnKey, content: bytes) -> list[Problem]:
    filled = xt.read_template(content, "t.xlsx")
    with session_scope(y.engine) as s:
        result = reporting.check_return(s, y.catalog, y.tree, form, key, filled.entered, TODAY, "t.xlsx",
                                        filled.where)
    soft = Problem("month_change", "soft", "users_mobile_phone", key.org_unit, key.period, OPERATOR,
                   "移动电话用户数较上月变化 +45%", "users changed +45%", 2.0, "t.xlsx", "填报", 14, "F")
    return [*result.problems, soft]


def test_annotate_marks_problem_cells_and_lists_them(
        y: Yangfan, opm: tuple[Form, ReturnKey, list[GridRow]], template: bytes) -> None:
    form, key, _rows = opm

    def fill(ws: Worksheet) -> None:
        for n in range(11):  # the last item left empty; 5G base stations above all base stations
            ws[f"F{xt.FIRST_ROW + n}"] = 100_000 + n
        ws["F11"] = 500_000
    content = _edit(template, fill)
    problems = _problems(y, form, key, content)
    assert {(p.rule, p.row) for p in problems if p.severity == "hard"} == {("required", 20), ("part_le_whole", 11)}
    book = load_workbook(io.BytesIO(xt.annotate(content, problems)))
    ws = book[xt.SHEET]
    assert ws["F11"].fill.fgColor.rgb == xt.HARD and ws["F20"].fill.fgColor.rgb == xt.HARD
    assert ws["F14"].fill.fgColor.rgb == xt.SOFT and ws["G14"].fill.fgColor.rgb == xt.SOFT
    assert "5G基站数" in ws["F11"].comment.text and "exceeds" in ws["F11"].comment.text
    assert ws["F12"].comment is None and ws["F12"].fill.fgColor.rgb == xt.INPUT
    # The rest stays as it was: figures, titles, protection, rules, the hidden sheet.
    assert ws["F11"].value == 500_000 and ws["A1"].value == "5G发展情况月报（运营商分省）"
    assert ws.protection.sheet and book.security is not None and book.security.lockStructure
    assert len(ws.data_validations.dataValidation) == len(load_workbook(io.BytesIO(content))[xt.SHEET]
                                                          .data_validations.dataValidation)
    assert book.sheetnames == [xt.SHEET, xt.PROBLEMS, xt.GUIDE, xt.META]
    assert book[xt.META].sheet_state == "veryHidden"
    listed = list(book[xt.PROBLEMS].iter_rows(min_row=2, values_only=True))
    assert len(listed) == len(problems)
    assert {r[2] for r in listed} >= {"填报!F11", "填报!F20", "填报!F14"}
    assert all(r[6] and r[7] for r in listed)
    hard = next(r for r in listed if r[2] == "填报!F11")
    assert hard[1].startswith("硬性") and "5G基站数" in hard[3]


def test_an_annotated_template_is_read_and_annotated_afresh(
        y: Yangfan, opm: tuple[Form, ReturnKey, list[GridRow]], template: bytes) -> None:
    form, key, _rows = opm
    content = _edit(template, lambda ws: ws.cell(11, 6, 1.5113241603682322e16))
    marked = xt.annotate(content, _problems(y, form, key, content))
    assert xt.read_template(marked, "t.xlsx").entered[("bs_5g", OPERATOR)].value == 1.5113241603682322e16
    again = load_workbook(io.BytesIO(xt.annotate(marked, [])))
    ws = again[xt.SHEET]
    assert ws["F9"].comment is None and ws["F9"].fill.fgColor.rgb == xt.INPUT
    assert ws["G14"].fill.fgColor.rgb == xt.INPUT
    assert again.sheetnames.count(xt.PROBLEMS) == 1
    assert again[xt.PROBLEMS]["A2"].value == "没有发现问题 / no problems found"


def test_annotating_a_long_format_file_marks_its_first_sheet_and_a_csv_gets_the_list() -> None:
    book = Workbook()
    ws = book.worksheets[0]
    ws.append(["indicator", "org_unit", "period", "value"])
    ws.append(["bs_5g", "440000", "2025-06", -3])
    out = io.BytesIO()
    book.save(out)
    bad = Problem("non_negative", "hard", "bs_5g", "440000", "2025-06", "", "为负数", "is negative", -3.0,
                  "v.xlsx", None, 2, "D")
    marked = load_workbook(io.BytesIO(xt.annotate(out.getvalue(), [bad])))
    assert marked.worksheets[0]["D2"].fill.fgColor.rgb == xt.HARD
    assert marked.worksheets[0].title == "Sheet" and marked.sheetnames[1] == xt.PROBLEMS
    listed = load_workbook(io.BytesIO(xt.annotate(b"indicator,value\nbs_5g,-3\n", [bad])))
    assert listed.sheetnames == [xt.PROBLEMS] and listed[xt.PROBLEMS]["G2"].value == "为负数"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.floats(min_value=0, allow_nan=False, allow_infinity=False), min_size=12, max_size=12))
def test_any_finite_figure_reads_back_exactly(template: bytes, figures: list[float]) -> None:
    def fill(ws: Worksheet) -> None:
        for n, x in enumerate(figures):
            ws[f"F{xt.FIRST_ROW + n}"] = x
    entered = xt.read_template(_edit(template, fill), "t.xlsx").entered
    assert [c.value for c in entered.values()] == figures


def test_the_template_opens_in_calamine(template: bytes) -> None:
    calamine = pytest.importorskip("python_calamine")
    book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(template))
    assert book.sheet_names[:2] == [xt.SHEET, xt.GUIDE]
    rows = book.get_sheet_by_name(xt.SHEET).to_python()
    assert rows[0][0] == "5G发展情况月报（运营商分省）"
    assert rows[xt.FIRST_ROW - 1][1] == "移动通信基站总数" and rows[xt.FIRST_ROW - 1][7] == "bs_mobile_total"
