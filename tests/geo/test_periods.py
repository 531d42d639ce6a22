"""Periods: parsing, validation and the arithmetic aggregation relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yangfan.errors import YangfanError
from yangfan.geo.periods import Period, parse_period

periods = st.one_of(
    st.builds(Period, st.integers(1990, 2090), st.just("month"), st.integers(1, 12)),
    st.builds(Period, st.integers(1990, 2090), st.just("quarter"), st.integers(1, 4)),
    st.builds(Period, st.integers(1990, 2090), st.just("year"), st.just(1)),
)


@given(periods)
def test_code_round_trips(p: Period) -> None:
    assert parse_period(p.code) == p


@given(periods)
def test_months_cover_the_period(p: Period) -> None:
    months = p.months()
    assert months[0].start == p.start and months[-1] == p.end_month
    assert all(p.contains(m) for m in months)
    assert len(months) == {"month": 1, "quarter": 3, "year": 12}[p.type]


@given(st.builds(Period, st.integers(2000, 2080), st.just("month"), st.integers(1, 12)), st.integers(-240, 240))
def test_shift_is_consistent_with_months_until(p: Period, k: int) -> None:
    assert p.months_until(p.shift(k)) == k


@pytest.mark.parametrize("text,code", [("2025-13", "period.invalid"), ("2025Q5", "period.invalid"),
                                       ("2025-00", "period.invalid"), ("25-01", "period.format"),
                                       ("2025/01", "period.format"), ("", "period.format")])
def test_invalid_periods_are_clear_errors(text: str, code: str) -> None:
    with pytest.raises(YangfanError) as exc:
        parse_period(text)
    issue = exc.value.issues[0]
    assert issue.code == code
    assert issue.message_zh and issue.message_en


def test_month_13_message_says_why() -> None:
    with pytest.raises(YangfanError) as exc:
        parse_period("2025-13")
    assert "01–12" in exc.value.issues[0].message_zh and "2025-13" in exc.value.issues[0].message_en
