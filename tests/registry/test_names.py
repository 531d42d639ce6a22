"""Names for duplicate detection and search: legal forms set aside, pinyin initials, crafted near-duplicates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yangfan.registry.names import Candidate, initials, normalise, pairs


def test_legal_forms_and_brackets_are_set_aside() -> None:
    assert normalise("华为技术有限公司") == normalise("华为技术股份有限公司") == "华为技术"
    assert normalise("中国移动通信（集团）有限公司") == normalise("中国移动通信集团有限公司") == "中国移动通信"
    assert normalise("ＡＢＣ 科技有限公司") == "abc科技"  # full-width folded, spaces dropped


def test_initials() -> None:
    assert initials("中国移动") == "zgyd"
    assert initials("5G智慧工厂 A-100") == "5gzhgca100"


def test_crafted_near_duplicates_are_found_and_different_firms_are_not() -> None:
    names = {1: "广州智联通信技术有限公司", 2: "广州智联通信技术股份有限公司", 3: "广州市智联通信技术有限公司",
             4: "广州云创科技有限公司", 5: "深圳智联通信技术有限公司"}
    found = pairs([Candidate(i, "organisation", normalise(n), None) for i, n in names.items()])
    assert {(p.a, p.b) for p in found} == {(1, 2), (1, 3), (2, 3)}
    assert all(p.reason == "name" for p in found)


def test_the_same_code_is_a_duplicate_whatever_the_name_and_other_numbers_tell_records_apart() -> None:
    found = pairs([Candidate(1, "organisation", "甲", "91110000600037341L"),
                   Candidate(2, "organisation", "乙", "91110000600037341L"),
                   Candidate(3, "standard", "5g工厂技术要求", None, "YD/T 1-2024"),
                   Candidate(4, "standard", "5g工厂技术要求", None, "YD/T 2-2024"),
                   Candidate(5, "product", "模组a", None, "M-1"), Candidate(6, "standard", "x", None, "M-1")])
    assert [(p.a, p.b, p.reason) for p in found] == [(1, 2, "uscc")]


@given(st.text(min_size=1, max_size=30))
def test_normalise_is_idempotent_and_never_empty(name: str) -> None:
    once = normalise(name)
    assert once and normalise(once) == once or not name.strip()
