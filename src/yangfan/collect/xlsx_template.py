"""Excel templates of returns (填报模板): written per form × org unit × reporting unit × period, filled in Excel,
read back cell by cell, and returned with their problem cells marked.

The template is a protected sheet "填报" (only the value and explanation cells open), a guide "说明", and a
hidden sheet "_yangfan" naming the return and its rows, so that an uploaded file says which return it is.
The protection has no password: it keeps the layout, it is not security (the guide says so).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from yangfan.catalog import Catalog, Indicator
from yangfan.collect.forms import Form, Return
from yangfan.collect.reporting import GridRow
from yangfan.collect.rows import parse_number, shown, to_base
from yangfan.collect.rules import Problem, Rules, load_rules
from yangfan.collect.xlsx import MAX_UNPACKED, OLE_SIGNATURE, ZIP_SIGNATURE
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period, parse_period
from yangfan.store.submissions import CellInput, CellKey, ReturnKey

#: Bumped when the layout or the meaning of "_yangfan" changes: files of another version are refused, by name.
VERSION = "1"
SHEET, GUIDE, META, PROBLEMS = "填报", "说明", "_yangfan", "问题清单"
HEADER_ROW, FIRST_ROW = 8, 9
#: Columns of the entry sheet: 序号, 指标名称, 计量单位, 上期值, 上年同期值, 本期数值, 说明, indicator code (hidden).
VALUE, EXPLANATION, CODE = "F", "G", "H"
MAX_ITEMS = 500
#: As the API takes an explanation (``CellIn.explanation``).
MAX_EXPLANATION = 2000
#: A workbook loaded whole to be annotated costs many times its XML: larger ones get the problem list alone.
MAX_ANNOTATED = 25 * 1024 * 1024
FONT = "等线"  # Office's default CJK font since 2016; Excel on Chinese Windows falls back to 宋体 without it
AUTHOR = "扬帆 Yangfan"
INPUT, LOCKED, HEAD = "FFDDEBF7", "FFF2F2F2", "FFD9D9D9"
HARD, SOFT, FLAGGED = "FFFF7C80", "FFFFC000", "FFFFE699"
_THIN = Side(style="thin", color="FFA6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CELL = re.compile(r"[A-Z]{1,3}")
_FORM, _CODE = re.compile(r"[A-Z][A-Z0-9]{1,15}"), re.compile(r"[A-Za-z0-9_-]{1,40}")
#: A number cell as openpyxl writes it: <c r="F9" …><v>123.4</v>.
_NUMBER = re.compile(r'(<c r="([A-Z]{1,3}[0-9]+)"[^>]*><v>)([^<]*)(</v>)')

_Value = str | float | None
#: A cell's place in the workbook: sheet, row, column letter.
Where = dict[CellKey, tuple[str, int, str]]


@dataclass(frozen=True, slots=True)
class Filled:
    """A template as filled: which return, the cells entered (None: left empty), where each stood, and the
    contact written under the table (填表人, 联系电话)."""

    key: ReturnKey
    entered: dict[CellKey, CellInput]
    where: Where
    contact: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Meta:
    """What "_yangfan" says: the return, the sheet, its first item row and the items' codes in order."""

    key: ReturnKey
    sheet: str
    first_row: int
    contact_row: int
    codes: tuple[str, ...]

    def row_of(self, code: str) -> int | None:
        return self.first_row + self.codes.index(code) if code in self.codes else None


# --- writing -------------------------------------------------------------------------------------------------


def _bi(zh: str, en: str, lang: str) -> str:
    return f"{en}\n{zh}" if lang == "en" else f"{zh}\n{en}"


def _put(ws: Worksheet, ref: str, value: _Value, *, bold: bool = False, size: int = 11, color: str = "FF000000",
         fill: str | None = None, wrap: bool = False, box: bool = False, italic: bool = False) -> None:
    c = ws[ref]
    c.value = value
    c.font = Font(name=FONT, size=size, bold=bold, italic=italic, color=color)
    c.alignment = Alignment(wrap_text=wrap, vertical="center")
    if fill:
        c.fill = PatternFill("solid", fgColor=fill)
    if box:
        c.border = _BOX


def period_zh(p: Period) -> str:
    """A period as Chinese text: 2026年9月, 2026年第3季度, 2025年."""
    if p.type == "month":
        return f"{p.year}年{p.index}月"
    return f"{p.year}年第{p.index}季度" if p.type == "quarter" else f"{p.year}年"


def _reporter(key: ReturnKey, tree: OrgUnitTree) -> tuple[str, str]:
    if key.reporter:
        u = tree.get(key.reporter)
        return f"{u.name_zh}（{u.code}）", u.name_en or u.code
    org = tree.get(key.org_unit)
    # A province's own return is the provincial communications administration's (省通信管理局).
    return (f"{org.name_zh}通信管理局", f"{org.name_en} Communications Administration") if org.level == 1 else (
        org.name_zh, org.name_en or org.code)


def _title(ws: Worksheet, form: Form, key: ReturnKey, tree: OrgUnitTree, lang: str) -> None:
    period = parse_period(key.period)
    due = form.schedule.deadline(period)
    org = tree.get(key.org_unit)
    who_zh, who_en = _reporter(key, tree)
    first, second = (form.name_en, form.name_zh) if lang == "en" else (form.name_zh, form.name_en)
    _put(ws, "A1", first, bold=True, size=14)
    _put(ws, "A2", f"{second}（{form.code}）", color="FF595959")
    facts = [(("地区", "Org unit"), f"{org.name_zh}（{org.code}） / {org.name_en or org.code}"),
             (("报送单位", "Reporting unit"), f"{who_zh} / {who_en}"),
             (("报告期", "Period"), f"{period_zh(period)} / {period}"),
             (("截止日期", "Deadline"), f"{due.year}年{due.month}月{due.day}日前报送 / due by {due.isoformat()}")]
    for n, ((zh, en), value) in enumerate(facts, start=3):
        _put(ws, f"A{n}", f"{en} / {zh}" if lang == "en" else f"{zh} / {en}", bold=True)
        _put(ws, f"C{n}", value)
        ws.merge_cells(f"A{n}:B{n}")
        ws.merge_cells(f"C{n}:G{n}")
    _put(ws, "A7", "数值请按计量单位填写（如基站数填“个”而非“万个”），只填“本期数值”和“说明”两列。 / "
         "Enter figures in the unit shown (个, not 万个); only the value and explanation columns are open.",
         italic=True, color="FFC00000", wrap=True)
    for r in ("A1:G1", "A2:G2", "A7:G7"):
        ws.merge_cells(r)
    ws.row_dimensions[7].height = 30


_HEADERS = [("序号", "No."), ("指标名称", "Indicator"), ("计量单位", "Unit"), ("上期值", "Previous"),
            ("上年同期值", "Year before"), ("本期数值", "Value"), ("说明", "Explanation"), ("指标代码", "Code")]


def _name(row: GridRow, key: ReturnKey, lang: str) -> str:
    ind, p = row.indicator, parse_period(row.period)
    name = ind.name_en if lang == "en" else ind.name_zh
    if ind.time_aggregation == "ytd":
        return name + (f" (Jan–{p.year}-{p.last_month:02d}, year to date)" if lang == "en"
                       else f"（{p.year}年1–{p.last_month}月累计）")
    if row.period != key.period:
        return name + (f" (end of {p})" if lang == "en" else f"（{period_zh(p)}末）")
    return name


def _figure(ws: Worksheet, ref: str, value: float | None) -> None:
    _put(ws, ref, value, fill=LOCKED, box=True)
    ws[ref].number_format = "#,##0" if value is not None and float(value).is_integer() else "#,##0.0#########"


def _value_rule(ind: Indicator) -> DataValidation:
    percent = ind.unit == "%"
    unit = ind.unit + (f"（不要填{ind.display_unit}）" if ind.display_unit != ind.unit else "")
    prompt = f"单位：{unit}；{'0–100 的百分数；' if percent else '不小于 0；'}确实为零请填 0。"
    prompt += shown(ind.definition_zh, 255 - len(prompt) - 1)
    return DataValidation(type="decimal", operator="between" if percent else "greaterThanOrEqual", formula1="0",
                          formula2="100" if percent else None, allow_blank=True, showInputMessage=True,
                          showErrorMessage=True, promptTitle=shown(ind.name_zh, 31), prompt=prompt[:255],
                          errorTitle="数值不符合要求", error=("请填写 0–100 之间的百分数（单位：%）" if percent else
                                                      f"请填写不小于 0 的数值（单位：{ind.unit}），不要填写文字或单位"))


def _item(ws: Worksheet, n: int, row: GridRow, key: ReturnKey, lang: str) -> None:
    r, ind = FIRST_ROW + n, row.indicator
    _put(ws, f"A{r}", n + 1, box=True, fill=LOCKED)
    _put(ws, f"B{r}", _name(row, key, lang), box=True, fill=LOCKED, wrap=True)
    _put(ws, f"C{r}", ind.unit, box=True, fill=LOCKED)
    _figure(ws, f"D{r}", row.previous)
    _figure(ws, f"E{r}", row.year_before)
    _put(ws, f"{VALUE}{r}", row.value, box=True, fill=LOCKED if row.locked else INPUT)
    _put(ws, f"{EXPLANATION}{r}", row.explanation or None, box=True, wrap=True,
         fill=LOCKED if row.locked else FLAGGED if row.flagged else INPUT)
    _put(ws, f"{CODE}{r}", ind.code, color="FF808080")
    ws[f"{VALUE}{r}"].number_format = "General"  # every digit entered stays visible
    if not row.locked:
        for col in (VALUE, EXPLANATION):
            ws[f"{col}{r}"].protection = Protection(locked=False)
        rule = _value_rule(ind)
        rule.add(f"{VALUE}{r}")
        ws.add_data_validation(rule)


def _footer(ws: Worksheet, r: int) -> None:
    for i, (zh, en, width) in enumerate((("填表人", "Filled in by", 50), ("联系电话", "Telephone", 30))):
        _put(ws, f"B{r + i}", f"{zh} / {en}", bold=True)
        ws[f"B{r + i}"].alignment = Alignment(horizontal="right")
        _put(ws, f"C{r + i}", None, fill=INPUT, box=True)
        ws.merge_cells(f"C{r + i}:E{r + i}")
        ws[f"C{r + i}"].protection = Protection(locked=False)
        ws[f"C{r + i}"].number_format = "@"  # a telephone number stays text, leading zero included
        rule = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(width), allow_blank=True,
                              showErrorMessage=True, error=f"最多 {width} 个字符 / {width} characters at most")
        rule.add(f"C{r + i}")
        ws.add_data_validation(rule)


def _entry_sheet(ws: Worksheet, form: Form, key: ReturnKey, rows: list[GridRow], tree: OrgUnitTree,
                 lang: str) -> int:
    """The entry sheet; the row of its contact fields."""
    ws.title = SHEET
    _title(ws, form, key, tree, lang)
    for i, (zh, en) in enumerate(_HEADERS):
        ref = f"{chr(65 + i)}{HEADER_ROW}"
        _put(ws, ref, _bi(zh, en, lang), bold=True, fill=HEAD, wrap=True, box=True)
        ws[ref].alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    ws.row_dimensions[HEADER_ROW].height = 32
    for n, row in enumerate(rows):
        _item(ws, n, row, key, lang)
    explain = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(MAX_EXPLANATION),
                             allow_blank=True, showInputMessage=True, showErrorMessage=True, promptTitle="说明",
                             prompt="审核提示本项变动异常（软性规则）时，须在此说明原因，否则不能提交；"
                                    "硬性规则的问题须改正数值，不能以说明代替。",
                             error=f"说明最多 {MAX_EXPLANATION} 个字 / {MAX_EXPLANATION} characters at most")
    explain.add(f"{EXPLANATION}{FIRST_ROW}:{EXPLANATION}{FIRST_ROW + max(len(rows), 1) - 1}")
    ws.add_data_validation(explain)
    contact = FIRST_ROW + len(rows) + 1
    _footer(ws, contact)
    for col, width in zip("ABCDEFGH", (6, 46, 10, 16, 16, 18, 40, 26), strict=True):
        ws.column_dimensions[col].width = width
    ws.column_dimensions[CODE].hidden = True
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    return contact


def _rule_lines(form: Form, catalog: Catalog, rules: Rules) -> list[tuple[str, str]]:
    names = {i.code for i in form.items}
    ind = catalog.indicators
    hard: list[tuple[str, str]] = []
    if rules.non_negative:
        hard.append(("数值不能为负。", "No figure may be negative."))
    if rules.percent_range and any(i.unit == "%" for i in form.items):
        low, high = rules.percent_range
        hard.append((f"百分比在 {low:g}–{high:g} 之间（填百分数，56.1 表示 56.1%）。",
                     f"A share lies within {low:g}–{high:g} (per cent: 56.1 means 56.1%)."))
    hard += [(f"{ind[p].name_zh} 不得大于 {ind[w].name_zh}。", f"{ind[p].name_en} cannot exceed {ind[w].name_en}.")
             for p, w in rules.parts if p in names or w in names]
    if rules.operators_sum and form.operators:
        hard.append(("各运营商数值之和应等于全省合计（两者都已报送时）。",
                     "The operators' figures add up to the province's total (where both are reported)."))
    if rules.no_future_period:
        hard.append(("不能报送晚于当前月份的期间。", "No period after the current month can be reported."))
    soft: list[tuple[str, str]] = []
    if rules.month_change is not None and any(i.period_type == "month" for i in form.items):
        soft.append((f"期末数较上月变动超过 ±{rules.month_change:.0%}。",
                     f"A stock moves more than ±{rules.month_change:.0%} from the month before."))
    if rules.year_change is not None:
        soft.append((f"较上年同期变动超过 ±{rules.year_change:.0%}。",
                     f"A figure moves more than ±{rules.year_change:.0%} from a year before."))
    if rules.outlier_z is not None:
        soft.append((f"环比变化与本单位历史或同级地区相比异常（修正 z 值超过 {rules.outlier_z:g}）。",
                     f"A change is an outlier against the unit's history or its peers (modified z-score above "
                     f"{rules.outlier_z:g})."))
    return ([("硬性规则（不符合即不能提交，须改正数值）：", "Hard rules (block the return; correct the figure):")]
            + [(f"  · {zh}", f"  · {en}") for zh, en in hard]
            + [("软性规则（提示异常，须在“说明”栏写明原因后才能提交）：",
                "Soft rules (flag a figure; write the reason in the explanation column to submit):")]
            + [(f"  · {zh}", f"  · {en}") for zh, en in soft])


def _unit_lines(form: Form) -> list[tuple[str, str]]:
    out = []
    for i in form.items:
        zh, en = f"  · {i.name_zh}：{i.unit}", f"  · {i.name_en}: {i.unit_en or i.unit}"
        if i.display_unit != i.unit:
            zh += (f"（发布时以“{i.display_unit}”计，1{i.display_unit} = {i.display_divisor:,.0f}{i.unit}，"
                   f"填报时请填{i.unit}数）")
            en += f" (published in {i.display_unit}; enter the figure in {i.unit_en or i.unit})"
        if i.time_aggregation == "ytd":
            zh, en = zh + "；按年初至今累计填写", en + "; year to date"
        out.append((zh, en))
    return out


def _guide(ws: Worksheet, form: Form, key: ReturnKey, who: tuple[str, str], catalog: Catalog, rules: Rules) -> None:
    period = parse_period(key.period)
    due = form.schedule.deadline(period)
    heading = "§"
    lines: list[tuple[str, str]] = [
        (f"{heading}{form.name_zh}（{form.code}）填报说明", f"How to fill in: {form.name_en} ({form.code})"),
        (f"本表为{who[0]} {period_zh(period)}的报表（{key}）。{form.description_zh}",
         f"This is the return of {who[1]} for {period} ({key}). {form.description_en}"),
        (f"{heading}一、填写方法", "1. Filling in"),
        ("只在“填报”表的“本期数值”（F 列）和“说明”（G 列）中填写，其余单元格已锁定。",
         "Write only in the value (column F) and explanation (column G) cells of sheet 填报; the others are locked."),
        ("工作表保护没有密码，只为保持格式（不是安全措施）：请勿撤销保护，不要插入、删除、移动或排序行。",
         "The sheets are protected without a password to keep the layout (not for security): do not unprotect, "
         "insert, delete, move or sort rows."),
        ("每一项都须填写；确实为零请填 0。请勿使用公式：从其他表格复制时请“选择性粘贴—数值”。",
         "Fill every item (0 for none). No formulas: paste from other sheets with Paste Special → Values."),
        (f"{heading}二、计量单位与小数", "2. Units and decimals"),
        ("数值按“计量单位”列的基本单位填写，不要换算成万、亿；使用半角数字，可带千分位逗号，不要写单位或文字。",
         "Enter figures in the base unit of the unit column, not in 万 or 亿; ASCII digits, thousands "
         "separators allowed, no units or words."),
        ("个、户、家、项等计数填整数；流量（GB）可保留小数；请按原始精度填写，不要四舍五入。",
         "Counts (个, 户, 家, 项) are whole numbers; traffic (GB) may have decimals; do not round."),
        *_unit_lines(form),
        (f"{heading}三、截止日期", "3. Deadline"),
        (f"本表应于 {due.year}年{due.month}月{due.day}日（含）前报送。", f"The return is due by {due.isoformat()} "
         "(inclusive)."),
        (f"{heading}四、审核规则", "4. Validation rules"),
        *_rule_lines(form, catalog, rules),
        (f"{heading}五、上传", "5. Uploading"),
        ("登录扬帆平台，在报表填报中上传本文件；平台逐项审核，有问题时可下载标注了问题单元格的工作簿（红色须改正，"
         "黄色须说明），改好后再上传。也可先用命令 yangfan validate 文件名.xlsx 自查。",
         "Upload this file on the Yangfan platform's returns page; every figure is checked, and a copy with the "
         "problem cells marked (red: correct it, amber: explain it) can be downloaded, fixed and uploaded again. "
         "`yangfan validate file.xlsx` checks it beforehand."),
        ("请勿修改隐藏的“_yangfan”工作表和指标代码列：它们标识本文件对应的报表；文件名可以修改。",
         "Do not change the hidden sheet _yangfan or the code column: they tell which return this file is; the "
         "file name may change."),
    ]
    row = 1
    for zh, en in lines:
        title = zh.startswith(heading)
        _put(ws, f"A{row}", zh.removeprefix(heading), bold=title, size=13 if row == 1 else 11, wrap=True)
        _put(ws, f"A{row + 1}", en, color="FF595959", wrap=True, size=10, bold=title)
        row += 2
    ws.column_dimensions["A"].width = 110
    ws.protection = SheetProtection(sheet=True)


def _meta_sheet(ws: Worksheet, key: ReturnKey, rows: list[GridRow], contact: int) -> None:
    facts: list[tuple[str, _Value]] = [("yangfan_template", VERSION), ("form", key.form), ("org_unit", key.org_unit),
                                       ("reporter", key.reporter), ("period", key.period), ("sheet", SHEET),
                                       ("first_row", FIRST_ROW), ("contact_row", contact), ("indicator", "row")]
    facts += [(r.indicator.code, FIRST_ROW + n) for n, r in enumerate(rows)]
    for n, (k, v) in enumerate(facts, start=1):
        ws[f"A{n}"], ws[f"B{n}"] = k, v
    ws.sheet_state = "veryHidden"
    ws.protection = SheetProtection(sheet=True)


def write_template(form: Form, key: ReturnKey, rows: list[GridRow], tree: OrgUnitTree, catalog: Catalog, *,
                   lang: str = "zh") -> bytes:
    """The .xlsx a reporter fills in Excel for one return, prefilled with what was entered (``rows`` as
    ``reporting.grid`` gives them); ``lang`` puts English first in the entry sheet's texts."""
    book = Workbook()
    ws = book.worksheets[0]
    contact = _entry_sheet(ws, form, key, rows, tree, lang)
    ws.protection = SheetProtection(sheet=True, formatColumns=False, formatRows=False)
    org, (by_zh, by_en) = tree.get(key.org_unit), _reporter(key, tree)
    who = (f"{org.name_zh}{' · ' + by_zh if key.reporter else ''}",
           f"{org.name_en or org.code}{', ' + by_en if key.reporter else ''}")
    _guide(book.create_sheet(GUIDE), form, key, who, catalog, load_rules())
    _meta_sheet(book.create_sheet(META), key, rows, contact)
    book.security = WorkbookProtection(lockStructure=True)
    book.properties.creator = AUTHOR
    book.properties.title = f"{form.name_zh} {key}"
    return workbook_bytes(book)


def workbook_bytes(book: Workbook) -> bytes:
    """A workbook as .xlsx bytes with every number exact: openpyxl writes 16 significant digits ("%.16g"), which
    moves some doubles by a unit in the last place; the cells it would change are rewritten with the shortest
    text that is their double, as Excel writes them."""
    exact: dict[str, dict[str, str]] = {}
    for n, ws in enumerate(book.worksheets, start=1):  # openpyxl names the parts sheet1.xml… in this order
        cells = {c.coordinate: repr(c.value) for line in ws.iter_rows() for c in line
                 if type(c.value) is float and math.isfinite(c.value) and float(f"{c.value:.16g}") != c.value}
        if cells:
            exact[f"xl/worksheets/sheet{n}.xml"] = cells
    out = io.BytesIO()
    book.save(out)
    return _rewrite(out.getvalue(), exact) if exact else out.getvalue()


def _rewrite(content: bytes, exact: dict[str, dict[str, str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename in exact:
                data = _exact_numbers(data.decode("utf-8"), exact[info.filename]).encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


def _exact_numbers(xml: str, cells: dict[str, str]) -> str:
    return _NUMBER.sub(lambda m: m[1] + cells[m[2]] + m[4] if m[2] in cells else m[0], xml)


# --- reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Blank:
    """A cell the sheet does not have."""

    value: None = None
    data_type: str = "n"


_EMPTY = _Blank()


def _refused(file: str, code: str, zh: str, en: str, entry: str | None = None, row: int | None = None,
             column: str | None = None) -> Issue:
    return Issue(code, zh, en, Location(file=file or None, row=row, field=column, entry=entry))


def _open(content: bytes, file: str, *, read_only: bool = True, limit: int = MAX_UNPACKED) -> Workbook:
    """The workbook, after the checks that keep a hostile file harmless (.xls, damage, zip bombs)."""
    if content.startswith(OLE_SIGNATURE):
        raise YangfanError([_refused(file, "template.xls", "这是旧版 .xls 或加密的工作簿，请另存为 .xlsx 后上传",
                                     "this is an Excel 97–2003 (.xls) or password-protected workbook: save it as "
                                     ".xlsx and upload it again")])
    damaged = YangfanError([_refused(file, "file.xlsx_unreadable", "无法读取 XLSX 文件：文件已损坏或不是 XLSX 格式",
                                     "cannot read the XLSX file: it is damaged or not in XLSX format")])
    if not content.startswith(ZIP_SIGNATURE):
        raise damaged
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        if unpacked > limit:
            raise YangfanError([_refused(file, "file.xlsx_unreadable",
                                         f"无法读取 XLSX 文件：解压后超过 {limit // 2**20} MB",
                                         f"cannot read the XLSX file: it unpacks to more than {limit // 2**20} MB")])
        return load_workbook(io.BytesIO(content), read_only=read_only, data_only=False)
    except YangfanError:
        raise
    # zipfile, openpyxl and the XML parser each fail their own way on a damaged file; all mean the same here.
    except Exception as exc:
        raise damaged from exc


def is_template(content: bytes) -> bool:
    """True for a workbook that is a Yangfan template (it has the "_yangfan" sheet); False for anything else,
    damaged files included (the long-format reader then says what is wrong with them)."""
    try:
        book = _open(content, "")
    except YangfanError:
        return False
    try:
        return META in book.sheetnames
    finally:
        book.close()


def _meta(book: Workbook, file: str) -> _Meta:
    pairs = [(str(a), b) for a, b in book[META].iter_rows(max_row=MAX_ITEMS + 20, max_col=2, values_only=True)
             if a is not None]
    split = next((n for n, (a, _) in enumerate(pairs) if a == "indicator"), len(pairs))
    facts, codes = dict(pairs[:split]), tuple(a for a, _ in pairs[split + 1:])
    try:
        if facts.get("yangfan_template") != VERSION:
            raise ValueError("version")
        key = ReturnKey(str(facts["form"]), str(facts["org_unit"]), str(facts.get("reporter") or ""),
                        str(parse_period(str(facts["period"]))))
        if not (_FORM.fullmatch(key.form) and _CODE.fullmatch(key.org_unit) and _CODE.fullmatch(key.reporter or "-")):
            raise ValueError("key")
        first, contact = int(str(facts["first_row"])), int(str(facts["contact_row"]))
        if not (0 < len(codes) <= MAX_ITEMS and 0 < first < 1000 and first + len(codes) <= contact < 2000
                and facts["sheet"] == SHEET):
            raise ValueError("layout")
    except (KeyError, ValueError, YangfanError) as exc:
        raise YangfanError([_refused(file, "template.version",
                                     "模板的标识页（_yangfan）已损坏或版本不符，请重新下载模板",
                                     "the template's identifying sheet (_yangfan) is damaged or of another version: "
                                     "download the template again", entry=META)]) from exc
    return _Meta(key, SHEET, first, contact, codes)


def _cells(book: Workbook, meta: _Meta) -> dict[int, list[Any]]:
    """The cells A..H of the item and contact rows, by row number."""
    ws = book[meta.sheet]
    last = meta.contact_row + 1
    rows = ws.iter_rows(min_row=meta.first_row, max_row=last, max_col=8)
    return {n: [*cells, *[_EMPTY] * (8 - len(cells))] for n, cells in enumerate(rows, start=meta.first_row)}


def _number(cell: Any, ref: str) -> tuple[float | None, tuple[str, str, str] | None]:
    """A value cell as a float (None: empty), or why it is refused: code, zh, en."""
    value, kind = cell.value, getattr(cell, "data_type", "n")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if kind == "f":
        formula = shown(str(getattr(value, "text", value)), 40)  # an array formula is an object with .text
        return None, ("template.formula", f"{ref} 含公式“{formula}”，请改为粘贴数值（选择性粘贴—数值）",
                      f"{ref} holds a formula ({formula}): paste the value instead (Paste Special → Values)")
    if kind == "e" or isinstance(value, bool | date | time | timedelta):
        return None, ("template.value", f"{ref} 的“{shown(str(value))}”不是数值", f"{ref}: '{shown(str(value))}' is "
                      "not a number")
    if isinstance(value, int | float):
        try:
            number = float(value)  # an integer of 400 digits overflows here
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            return None, ("template.value", f"{ref} 的数值超出可存储的范围",
                          f"{ref}: the value is out of the range that can be stored")
        return number, None
    try:
        parsed = to_base(parse_number(str(value).strip()), Decimal(1))
    except YangfanError as exc:
        i = exc.issues[0]
        return None, ("template.value", f"{ref}：{i.message_zh}", f"{ref}: {i.message_en}")
    if parsed is None:
        return None, ("template.value", f"{ref} 的数值超出可存储的范围", f"{ref}: the value is out of the range that "
                      "can be stored")
    return parsed, None


def _text(cell: Any, ref: str, limit: int) -> tuple[str, tuple[str, str, str] | None]:
    value = cell.value
    if value is None:
        return "", None
    if getattr(cell, "data_type", "s") == "f":
        return "", ("template.formula", f"{ref} 含公式，请填写文字", f"{ref} holds a formula: write text")
    text = (f"{value:.0f}" if isinstance(value, float) and value.is_integer() else str(value)).strip()
    if len(text) > limit:
        return "", ("template.text_long", f"{ref} 超过 {limit} 个字", f"{ref} is longer than {limit} characters")
    return text, None


def _order(meta: _Meta, cells: dict[int, list[Any]], file: str) -> None:
    for i, code in enumerate(meta.codes):
        row = meta.first_row + i
        found = cells.get(row, [_EMPTY] * 8)[7].value
        found_code = "" if found is None else str(found)
        if found_code != code:
            raise YangfanError([_refused(
                file, "template.rows",
                f"{SHEET}!{CODE}{row} 应为指标 {code}，实为“{shown(found_code) or '空'}”："
                "模板的行被移动、删除或插入，请重新下载模板，按原样填写后上传",
                f"{SHEET}!{CODE}{row} should be indicator {code}, not '{shown(found_code)}': rows of the template were "
                "moved, deleted or inserted; download the template again and fill it in as it is",
                entry=f"{SHEET}!{CODE}{row}", row=row, column=CODE)])


def read_template(content: bytes, file_name: str) -> Filled:
    """The return a filled template is of, its cells and where each stood; every refused cell is named at once
    (formulas, text that is no number, full-width digits), and a file that is no template is refused."""
    book = _open(content, file_name)
    try:
        if META not in book.sheetnames:
            raise YangfanError([_refused(file_name, "template.not_template",
                                         "这不是扬帆报表模板（缺少 _yangfan 标识页）",
                                         "this is not a Yangfan form template (it has no _yangfan sheet)")])
        meta = _meta(book, file_name)
        if meta.sheet not in book.sheetnames:
            raise YangfanError([_refused(file_name, "template.sheet", f"模板缺少工作表“{meta.sheet}”，请重新下载模板",
                                         f"the template has no sheet '{meta.sheet}': download it again")])
        cells = _cells(book, meta)
    finally:
        book.close()
    _order(meta, cells, file_name)
    return _filled(meta, cells, file_name)


def _filled(meta: _Meta, cells: dict[int, list[Any]], file: str) -> Filled:
    d = Return(meta.key.org_unit, meta.key.reporter).disaggregation
    entered: dict[CellKey, CellInput] = {}
    where: Where = {}
    issues: list[Issue] = []
    for i, code in enumerate(meta.codes):
        row = meta.first_row + i
        line = cells.get(row, [_EMPTY] * 8)
        value, bad = _number(line[5], f"{SHEET}!{VALUE}{row}")
        note, bad_note = _text(line[6], f"{SHEET}!{EXPLANATION}{row}", MAX_EXPLANATION)
        for col, problem in ((VALUE, bad), (EXPLANATION, bad_note)):
            if problem:
                issues.append(_refused(file, problem[0], problem[1], problem[2], f"{SHEET}!{col}{row}", row, col))
        entered[(code, d)] = CellInput(value, note)
        where[(code, d)] = (SHEET, row, VALUE)
    contact = {name: _text(cells.get(row, [_EMPTY] * 8)[2], "", 50)[0]
               for name, row in (("filler", meta.contact_row), ("phone", meta.contact_row + 1))}
    if issues:
        raise YangfanError(issues)
    return Filled(meta.key, entered, where, contact)


# --- annotating ----------------------------------------------------------------------------------------------


def _problem_list(ws: Worksheet, problems: list[Problem], refs: list[str | None], names: dict[str, str]) -> None:
    heads = [("序号", "No.", 6), ("级别", "Severity", 16), ("单元格", "Cell", 14), ("指标", "Indicator", 30),
             ("期间", "Period", 10), ("数值", "Value", 14), ("问题", "Problem", 60), ("Problem (English)", "", 60)]
    for i, (zh, en, width) in enumerate(heads):
        col = chr(65 + i)
        _put(ws, f"{col}1", f"{zh} {en}".strip(), bold=True, fill=HEAD, box=True)
        ws.column_dimensions[col].width = width
    for n, (p, ref) in enumerate(zip(problems, refs, strict=True), start=2):
        level = ("硬性·须改正 hard" if p.severity == "hard" else
                 "软性·已说明 soft" if p.explained else "软性·须说明 soft")
        row: list[_Value] = [n - 1, level, ref or "", f"{names.get(p.indicator, '')} {p.indicator}".strip(),
                             p.period, p.value, p.message_zh, p.message_en]
        for i, v in enumerate(row):
            _put(ws, f"{chr(65 + i)}{n}", v, box=True, wrap=i >= 6,
                 fill=(HARD if p.severity == "hard" else SOFT) if i == 1 else None)
        if ref:
            sheet, cell = ref.rsplit("!", 1)
            quoted = sheet.replace("'", "''")
            ws[f"C{n}"].hyperlink = Hyperlink(ref=f"C{n}", location=f"'{quoted}'!{cell}")
            ws[f"C{n}"].font = Font(name=FONT, color="FF0563C1", underline="single")
    if not problems:
        _put(ws, "A2", "没有发现问题 / no problems found")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:H{max(len(problems) + 1, 2)}"
    ws.protection = SheetProtection(sheet=True, autoFilter=False, sort=False, formatColumns=False)


def _clear(book: Workbook, meta: _Meta | None) -> None:
    """Take away the marks of an earlier annotation, so that a corrected file is judged afresh."""
    if PROBLEMS in book.sheetnames:
        del book[PROBLEMS]
    for ws in book.worksheets:
        template = meta is not None and ws.title == meta.sheet
        for line in ws.iter_rows():
            for c in line:
                if c.comment is not None and c.comment.author == AUTHOR:
                    c.comment = None
                if c.fill.fgColor.rgb in (HARD, SOFT):
                    c.fill = PatternFill("solid", fgColor=LOCKED if c.protection.locked else INPUT) if template \
                        else PatternFill()


def _ref(book: Workbook, p: Problem, meta: _Meta | None) -> str | None:
    """The cell a problem is about ("sheet!F9"), when the workbook has it."""
    sheets = [ws.title for ws in book.worksheets]  # a chart sheet has no cells
    sheet = p.sheet or (meta.sheet if meta else sheets[0] if sheets else "")
    if sheet not in sheets or sheet in (META, PROBLEMS):
        return None
    if p.row is not None and p.column and _CELL.fullmatch(p.column) and 0 < p.row <= 1_048_576:
        return f"{sheet}!{p.column}{p.row}"
    row = meta.row_of(p.indicator) if meta and sheet == meta.sheet else None
    return f"{sheet}!{VALUE}{row}" if row else None


def _mark(book: Workbook, ref: str, found: list[Problem], meta: _Meta | None) -> None:
    sheet, cell = ref.rsplit("!", 1)
    c = book[sheet][cell]
    if isinstance(c, MergedCell):
        return  # inside a merged range: only the list names it
    hard = any(p.severity == "hard" for p in found)
    c.fill = PatternFill("solid", fgColor=HARD if hard else SOFT)
    text = "\n\n".join(f"【{'须改正' if p.severity == 'hard' else '已说明' if p.explained else '须说明'}】"
                       f"{p.message_zh}\n{p.message_en}" for p in found)
    if c.comment is not None and c.comment.author != AUTHOR:
        text = f"{c.comment.text}\n\n{text}"
    c.comment = Comment(text, AUTHOR, height=160, width=360)
    unexplained = [p for p in found if p.severity == "soft" and not p.explained]
    if meta and sheet == meta.sheet and cell.startswith(VALUE) and unexplained and not hard:
        note = book[sheet][EXPLANATION + cell[len(VALUE):]]
        note.fill = PatternFill("solid", fgColor=SOFT)
        note.comment = Comment("请在此说明原因后再提交。\nExplain the figure here before submitting.", AUTHOR,
                               height=80, width=280)


def annotate(content: bytes, problems: list[Problem]) -> bytes:
    """The uploaded workbook with every problem cell filled (red: hard, amber: soft) and commented in zh and en,
    and a sheet "问题清单" listing them all; the protection stays. A file that is no workbook this can open (a
    CSV, an .xls, a damaged or very large file) gets a workbook with the list alone."""
    try:
        book = _open(content, "", read_only=False, limit=MAX_ANNOTATED)
    except YangfanError:
        book = Workbook()
        ws = book.worksheets[0]
        ws.title = PROBLEMS
        _problem_list(ws, problems, [None] * len(problems), {})
        return workbook_bytes(book)
    try:
        meta = _meta(book, "") if META in book.sheetnames else None
    except YangfanError:
        meta = None  # a damaged identifying sheet: the cells are marked where the problems say
    _clear(book, meta)
    refs = [_ref(book, p, meta) for p in problems]
    cells: dict[str, list[Problem]] = {}
    for p, ref in zip(problems, refs, strict=True):
        if ref:
            cells.setdefault(ref, []).append(p)
    for ref, found in cells.items():
        _mark(book, ref, found, meta)
    names: dict[str, str] = {}
    if meta is not None:
        ws = book[meta.sheet]
        names = {code: str(ws[f"B{meta.first_row + i}"].value or "") for i, code in enumerate(meta.codes)}
    _problem_list(book.create_sheet(PROBLEMS, 1), problems, refs, names)
    return workbook_bytes(book)
