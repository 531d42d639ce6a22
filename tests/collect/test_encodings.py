"""CSV encodings (UTF-8, and GB18030/GBK as Excel on Chinese Windows saves “CSV (逗号分隔)”) and column headings
(English names, Chinese aliases, decorated with full-width spaces and brackets)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.builders import platform
from yangfan.collect.importer import import_content, read_csv_records, read_rows
from yangfan.collect.rows import ALIASES, COLUMNS, column_of
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.store.repository import history

HEADER = ["indicator", "org_unit", "period", "value", "unit", "note"]
ROW = ["bs_5g", "440300", "2025-06", "8.1", "万个"]
#: GB18030's four-byte encoding of U+FEFF, the BOM some Chinese tools write.
GB18030_BOM = "\ufeff".encode("gb18030")


def csv_text(rows: list[list[str]], eol: str = "\r\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=eol).writerows(rows)
    return out.getvalue()


def refused(content: bytes) -> tuple[str, int | None, str, str]:
    with pytest.raises(YangfanError) as exc:
        read_rows(content, "f.csv")
    issue = exc.value.issues[0]
    return issue.code, issue.location.row, issue.message_zh, issue.message_en


# --- GB18030 / GBK ------------------------------------------------------------------------------------------

def test_excel_gbk_csv_is_read_with_its_chinese_text_intact() -> None:
    # What 中文版 Excel writes for “CSV (逗号分隔)”: GBK, CRLF, no BOM.
    content = csv_text([HEADER, [*ROW, "运营商上报"], [*ROW[:1], "440100", *ROW[2:], "广东省通信管理局，“季报”"]])
    rows = read_rows(content.encode("gbk"), "f.csv")
    assert [(n, r["note"]) for n, r in rows] == [(2, "运营商上报"), (3, "广东省通信管理局，“季报”")]
    assert rows == read_rows(content.encode("utf-8"), "f.csv")


def test_gb18030_four_byte_characters_and_its_bom_are_read() -> None:
    text = csv_text([HEADER, [*ROW, "𠀀𫟷📶€"]])  # outside GBK: four-byte GB18030 sequences
    for content in (text.encode("gb18030"), GB18030_BOM + text.encode("gb18030")):
        rows = read_rows(content, "f.csv")
        assert rows[0][1]["note"] == "𠀀𫟷📶€" and list(rows[0][1]) == HEADER


def test_a_gbk_file_is_stored_exactly(tmp_path: Path) -> None:
    y: Yangfan = platform(tmp_path)
    content = csv_text([HEADER, [*ROW, "运营商上报"]]).encode("gbk")
    result = import_content(y.engine, content, "gbk.csv", y.catalog, y.tree)
    assert result.inserted == 1
    with session_scope(y.engine) as s:
        assert [(r.value, r.note) for r in history(s, "bs_5g", "440300", "2025-06")] == [(81_000, "运营商上报")]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_bytes_of_neither_encoding_are_refused_naming_the_line(eol: str) -> None:
    good = csv_text([HEADER, [*ROW, "运营商"]], eol).encode("gbk")
    code, row, zh, en = refused(good + b"bs_5g,440100,2025-06,1,\xff\xfe" + eol.encode())
    assert (code, row) == ("file.encoding", 3)
    assert "第 3 行" in zh and "GBK/GB18030" in zh and "line 3" in en and "UTF-8" in en


def test_a_utf8_bom_declares_utf8_so_gbk_after_it_is_refused() -> None:
    content = b"\xef\xbb\xbf" + csv_text([HEADER, [*ROW, "运营商上报"]]).encode("gbk")
    assert refused(content)[:2] == ("file.encoding", 2)


def test_utf16_is_still_refused() -> None:
    assert refused(csv_text([HEADER, [*ROW, "注"]]).encode("utf-16"))[:2] == ("file.encoding", 1)


# Text a spreadsheet cell can hold: no NUL (refused as binary) and no lone surrogate (not encodable).
cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=30)


@given(st.lists(cell_text, min_size=1, max_size=8))
def test_any_text_reads_the_same_from_gb18030_as_from_utf8(notes: list[str]) -> None:
    text = csv_text([HEADER] + [[*ROW, note] for note in notes])
    gb = text.encode("gb18030")
    if not gb.isascii():
        try:
            gb.decode("utf-8")
            assume(False)  # GB18030 bytes that happen to be UTF-8 are read as UTF-8: no law for them
        except UnicodeDecodeError:
            pass
    assert read_csv_records(gb, "f.csv") == read_csv_records(text.encode("utf-8"), "f.csv")
    assert read_csv_records(GB18030_BOM + gb, "f.csv") == read_csv_records(text.encode("utf-8-sig"), "f.csv")


# --- headings -----------------------------------------------------------------------------------------------

def test_chinese_and_decorated_headings_name_their_columns() -> None:
    header = ["（指标）", "\u3000组织单元\u3000", "统计期", "【数值】", "计量单位", "Disaggregation", "ＮＯＴＥ",
              "来源网址", "优先级", "限定词", "口径"]
    row = ["bs_5g", "440300", "2025-06", "8.1", "万个", "operator=cmcc", "注", "https://example.org/a", "1",
           "exact", ""]
    rows = read_rows(csv_text([header, row]).encode("gbk"), "f.csv")
    assert rows[0][1] == {"indicator": "bs_5g", "org_unit": "440300", "period": "2025-06", "value": "8.1",
                          "unit": "万个", "disaggregation": "operator=cmcc", "note": "注",
                          "source_url": "https://example.org/a", "priority": "1", "qualifier": "exact", "scope": ""}


def test_an_unknown_heading_is_named_with_its_column_letter_and_the_known_names() -> None:
    with pytest.raises(YangfanError) as exc:
        read_rows(csv_text([["指标", "组织单元", "数量", "期间", "数值"], ["bs_5g", "440300", "1", "2025-06", "1"]])
                  .encode(), "f.csv")
    [issue] = exc.value.issues
    assert (issue.code, issue.location.row, issue.location.entry) == ("file.column_unknown", 1, "column C")
    assert issue.message_zh.startswith("第 1 行第 C 列“数量”不是可识别的列名")
    assert issue.message_en.startswith("column C of row 1, '数量', is not a known column")
    for column, aliases in ALIASES.items():
        assert column in issue.message_en and all(a in issue.message_zh for a in aliases)


def test_two_headings_of_one_column_are_a_repeated_column() -> None:
    with pytest.raises(YangfanError) as exc:
        read_rows(csv_text([["indicator", "org_unit", "period", "value", "数值"], [*ROW[:4], "1"]]).encode(), "f.csv")
    [issue] = exc.value.issues
    assert (issue.code, issue.location.field, issue.location.entry) == ("file.column_repeated", "value", "column E")
    assert "第 E 列“数值”与第 D 列“value”" in issue.message_zh and "repeats column D ('value')" in issue.message_en


def test_a_missing_required_column_says_chinese_headings_are_accepted() -> None:
    with pytest.raises(YangfanError) as exc:
        read_rows("指标,期间\nbs_5g,2025-06\n".encode(), "f.csv")
    [issue] = exc.value.issues
    assert issue.code == "file.columns" and "org_unit, value" in issue.message_en and "组织单元" in issue.message_zh


DECORATIONS = [("", ""), (" ", " "), ("\u3000", "\u3000"), ("（", "）"), ("(", ")"), ("【", "】"), ("[", "]"),
               ("［", "］"), ("“", "”"), ("\ufeff", "")]


@given(st.sampled_from(COLUMNS).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from((c, *ALIASES[c])))),
       st.sampled_from(DECORATIONS), st.booleans())
def test_every_name_of_a_column_reads_as_it_whatever_its_decoration(
        named: tuple[str, str], decoration: tuple[str, str], upper: bool) -> None:
    column, name = named
    left, right = decoration
    assert column_of(left + (name.upper() if upper else name) + right) == column
