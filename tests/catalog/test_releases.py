"""The release calendar decides which year-end population a per-capita figure divides by."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from yangfan.catalog.releases import ReleaseCalendar, get_calendar, load_calendar
from yangfan.geo.periods import Period, parse_period

CAL = get_calendar()


@pytest.mark.parametrize(("period", "year"), [
    ("2023-10", 2022),  # MIIT's 22.78 per 10k for October 2023 divides by the end-2022 population
    ("2023-12", 2023),  # December is published after NBS's January release
    ("2024-01", 2023),
    ("2024-11", 2023),
    ("2024-12", 2024),
    ("2024Q3", 2023),
    ("2024Q4", 2024),
    ("2024", 2024),
    ("2021-03", 2019),  # before the census results (2021-05-11) the latest was end-2019
    ("2021-06", 2020),
    ("2027-12", 2027),  # not released yet: the default date (mid-January) of the next year
])
def test_population_year(period: str, year: int) -> None:
    assert CAL.population_year(parse_period(period)) == year


def test_publication_dates() -> None:
    assert CAL.published_on(Period(2025, "month", 12)) == date(2026, 1, 22)
    assert CAL.published_on(Period(2025, "month", 2)) == date(2025, 3, 22)
    assert CAL.population_released_on(2023) == date(2024, 1, 17)
    assert CAL.population_released_on(2030) == date(2031, 1, 17)


def test_a_later_nbs_release_moves_december_back() -> None:
    late = ReleaseCalendar({2025: date(2026, 2, 1)}, (1, 17), {"month": 22, "quarter": 22, "year": 22})
    assert late.population_year(Period(2025, "month", 12)) == 2024


def test_a_broken_calendar_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "releases.yaml"
    bad.write_text("nbs_year_end_population: {default: '01-17', released: {2020: not-a-date}}\n"
                   "miit_publication_lag_days: {month: 22, quarter: 22, year: 22}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="released"):
        load_calendar(bad)
