"""How a raw indicator's value for a period is read from the values it is stored at.

stock (存量): the value at the end of the period (a quarter takes its last month).
flow (流量): the sum of the native periods inside the period.
ytd (年内累计): stored as year-to-date totals; a period's own flow is the YTD at its end minus
the YTD at the end of the previous period of the same year (nothing to subtract in January/Q1).
An annual stock (population) read for a month or quarter uses the latest year end published
before the figure itself was (see ``catalog.releases`` and ``Settings.population_vintage``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yangfan.catalog.models import Indicator
from yangfan.catalog.releases import ReleaseCalendar, get_calendar
from yangfan.geo.periods import Period

#: The year whose year-end population divides a per-capita figure of a period.
PopulationYear = Callable[[Period], int]


@dataclass(frozen=True, slots=True)
class Term:
    """One stored cell in a linear combination: ``sign × value(indicator, period)``."""

    indicator: str
    period: str
    sign: int = 1


@dataclass(frozen=True, slots=True)
class AnnualLookup:
    """Use the latest year end at or before ``max_year`` for which a value exists."""

    indicator: str
    max_year: int


Rule = tuple[Term, ...] | AnnualLookup | None

_RANK = {"month": 0, "quarter": 1, "year": 2}


def _native_parts(ind: Indicator, period: Period) -> list[Period]:
    """The native periods of ``ind`` that make up ``period``."""
    if ind.period_type == "month":
        return period.months()
    if ind.period_type == "quarter":
        quarters = range((period.first_month + 2) // 3, period.last_month // 3 + 1)
        return [Period(period.year, "quarter", q) for q in quarters]
    return [Period(period.year, "year")]


def population_year_rule(vintage: str, calendar: ReleaseCalendar | None = None) -> PopulationYear:
    """The vintage rule of a setting: by publication dates (MIIT's practice), or a fixed year end."""
    if vintage == "previous_year_end":
        return lambda p: p.year - 1
    if vintage == "period_year_end":
        return lambda p: p.year
    return (calendar or get_calendar()).population_year


def rule_for(ind: Indicator, period: Period, population_year: PopulationYear, *, as_input: bool = False) -> Rule:
    """The terms whose signed sum is ``ind`` at ``period``; None when it cannot be known at that period.

    ``as_input`` marks an input of a derived indicator: an annual stock there is always read by
    the vintage rule, so that a year, its Q4 and its December give one figure.
    """
    annual_stock = ind.period_type == "year" and ind.time_aggregation == "stock"
    if annual_stock and (as_input or period.type != "year"):
        return AnnualLookup(ind.code, population_year(period))
    if _RANK[period.type] < _RANK[ind.period_type]:
        return None
    parts = _native_parts(ind, period)
    if ind.time_aggregation == "stock":
        return (Term(ind.code, str(parts[-1])),)
    if ind.time_aggregation == "flow":
        return tuple(Term(ind.code, str(p)) for p in parts)
    end = parts[-1]
    terms = [Term(ind.code, str(end))]
    before = parts[0].shift(-1)
    if before.year == end.year:
        terms.append(Term(ind.code, str(before), -1))
    return tuple(terms)
