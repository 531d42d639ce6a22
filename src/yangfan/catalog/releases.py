"""Release calendar (发布时间): when NBS publishes year-end population and when MIIT publishes its figures.

A per-capita ratio divides by the latest year-end population published *before* the ratio itself
was published, so the population year follows from two dates, both data in ``releases.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from yangfan.geo.periods import Period, PeriodType

FILE = Path(__file__).parent / "data" / "releases.yaml"


class _PopulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default: str
    released: dict[int, date]


class _CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    nbs_year_end_population: _PopulationIn
    miit_publication_lag_days: dict[PeriodType, int]


@dataclass(frozen=True, slots=True)
class ReleaseCalendar:
    """Publication dates of NBS year-end population and MIIT's lag after a period's end."""

    population_released: Mapping[int, date]
    #: (month, day) of the following year on which a year not listed is taken as released.
    population_default: tuple[int, int]
    lag_days: Mapping[PeriodType, int]

    def published_on(self, period: Period) -> date:
        """The day MIIT publishes its figure for ``period``."""
        end = period.end_month.shift(1).start - timedelta(days=1)
        return end + timedelta(days=self.lag_days[period.type])

    def population_released_on(self, year: int) -> date:
        """The day NBS published (or will publish) the population at the end of ``year``."""
        month, day = self.population_default
        return self.population_released.get(year) or date(year + 1, month, day)

    def population_year(self, period: Period) -> int:
        """The latest year end whose population was published before the figure for ``period``."""
        published = self.published_on(period)
        year = period.year
        while self.population_released_on(year) > published:
            year -= 1
        return year


def load_calendar(path: Path = FILE) -> ReleaseCalendar:
    """Read and validate the release calendar."""
    doc = _CalendarIn.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    pop = doc.nbs_year_end_population
    month, day = (int(x) for x in pop.default.split("-"))
    return ReleaseCalendar(dict(pop.released), (month, day), dict(doc.miit_publication_lag_days))


@lru_cache(maxsize=1)
def get_calendar() -> ReleaseCalendar:
    """The packaged release calendar, loaded once per process."""
    return load_calendar()
