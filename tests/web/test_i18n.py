"""Numbers with units in both languages: Chinese keeps 万个 and 亿户, English writes counts in full or in millions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yangfan.catalog import Indicator, get_catalog
from yangfan.web.i18n import base_unit, scale, target_text, value_text

CATALOG = get_catalog()
#: Every indicator people read in 万 or 亿 (counts, persons, traffic).
SCALED = sorted((i for i in CATALOG.indicators.values() if i.display_divisor > 1), key=lambda i: i.code)
_ENGLISH = re.compile(r"^(-?[\d,]+(?:\.\d+)?)(?: (million|billion))?(?: (.+))?$")


def parse_english(text: str) -> float:
    """Read back what ``value_text`` wrote in English: 4.251 million → 4251000."""
    m = _ENGLISH.match(text)
    assert m, text
    return float(m[1].replace(",", "")) * {None: 1, "million": 1e6, "billion": 1e9}[m[2]]


@pytest.mark.parametrize(("code", "value", "zh", "en"), [
    ("bs_5g", 4_251_000, "425.1 万个", "4.251 million"),
    ("bs_5g", 505_500, "50.5 万个", "505,000"),
    ("users_5g_mobile_phone", 1_014_000_000, "10.14 亿户", "1.014 billion"),
    ("users_mobile_phone", 85_300_000, "0.85 亿户", "85 million"),
    ("mobile_internet_traffic", 301_520_000_000, "3,015.2 亿GB", "301.52 billion GB"),
    ("bs_5g_per_10k", 34.3541, "34.35 个/万人", "34.35 per 10k residents"),
    ("users_5g_share", 65.94, "65.9 %", "65.9 %"),
    ("vpn_5g_industry", 64_000, "64,000 个", "64,000"),
])
def test_a_value_reads_in_each_language(code: str, value: float, zh: str, en: str) -> None:
    ind = CATALOG.indicators[code]
    assert value_text(ind, value, "zh") == zh
    assert value_text(ind, value, "en") == en


def test_targets_read_as_the_plan_says_them() -> None:
    targets = CATALOG.targets
    texts = {code: (target_text(CATALOG.indicators[targets[code].indicator], targets[code], "zh"),
                    target_text(CATALOG.indicators[targets[code].indicator], targets[code], "en"))
             for code in ("U03", "U07", "U17", "S02")}
    assert texts == {"U03": ("超 1 亿个", "> 100 million"), "U07": ("达 38 个/万人", "≥ 38 per 10k residents"),
                     "U17": ("超 1 亿户", "> 100 million"), "S02": ("超 5.6 亿户", "> 560 million")}


@given(st.sampled_from(SCALED), st.floats(-1e12, 1e13, allow_nan=False))
def test_english_counts_read_back_as_the_chinese_figure(ind: Indicator, value: float) -> None:
    text = value_text(ind, value, "en")
    assert not re.search(r"万|亿|10k|× |\d 100 million", text), text  # "100 million" only as a number
    # The same figure as the Chinese one: within half a step of the Chinese rounding of the value itself.
    shown = round(value / ind.display_divisor, ind.decimals) * ind.display_divisor
    assert parse_english(text) == pytest.approx(shown, rel=1e-9, abs=1e-6)
    assert abs(parse_english(text) - value) <= 0.5 * ind.display_divisor / 10**ind.decimals * (1 + 1e-9) + 1e-6


@given(st.sampled_from(SCALED), st.floats(0, 1e13, allow_nan=False))
def test_english_picks_million_or_billion_by_size(ind: Indicator, value: float) -> None:
    s = scale(ind, "en", value)
    shown = round(value / ind.display_divisor, ind.decimals) * ind.display_divisor
    assert s.divisor == (1e9 if shown >= 1e9 else 1e6 if shown >= 1e6 else 1.0)
    assert s.unit.startswith("billion" if shown >= 1e9 else "million" if shown >= 1e6 else "") and "万" not in s.unit


def test_chinese_keeps_the_catalog_display_unit() -> None:
    for ind in CATALOG.indicators.values():
        s = scale(ind, "zh", 1e9)
        assert (s.divisor, s.decimals, s.unit) == (ind.display_divisor, ind.decimals, ind.display_unit)


def test_the_unit_of_full_precision_values() -> None:
    bs, ratio = CATALOG.indicators["bs_5g"], CATALOG.indicators["bs_5g_per_10k"]
    assert (base_unit(bs, "zh"), base_unit(bs, "en")) == ("个", "count")
    assert (base_unit(ratio, "zh"), base_unit(ratio, "en")) == ("个/万人", "per 10k residents")
