"""Reporting periods: month ``2025-12``, quarter ``2025Q4``, year ``2025``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from yangfan.errors import YangfanError

PeriodType = Literal["month", "quarter", "year"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q(\d)$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
MIN_YEAR, MAX_YEAR = 1949, 2100


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A calendar period; ``index`` counts months within the year for months, quarters for quarters."""

    year: int
    type: PeriodType
    index: int = 1

    def __post_init__(self) -> None:
        limit = {"month": 12, "quarter": 4, "year": 1}[self.type]
        if not 1 <= self.index <= limit:
            raise ValueError(f"{self.type} index {self.index} outside 1..{limit}")
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise ValueError(f"year {self.year} outside {MIN_YEAR}..{MAX_YEAR}")

    def __str__(self) -> str:
        if self.type == "month":
            return f"{self.year}-{self.index:02d}"
        if self.type == "quarter":
            return f"{self.year}Q{self.index}"
        return str(self.year)

    def __repr__(self) -> str:
        return f"Period('{self}')"

    @property
    def code(self) -> str:
        """The period's code, as used in files, the CLI and the API."""
        return str(self)

    @property
    def first_month(self) -> int:
        """Calendar month (1–12) in which the period starts."""
        return (self.index - 1) * _MONTHS_IN[self.type] + 1

    @property
    def last_month(self) -> int:
        """Calendar month (1–12) in which the period ends."""
        return self.first_month + _MONTHS_IN[self.type] - 1

    @property
    def start(self) -> date:
        """First day of the period."""
        return date(self.year, self.first_month, 1)

    @property
    def end_month(self) -> Period:
        """The month at the end of the period: where a stock is read."""
        return Period(self.year, "month", self.last_month)

    def months(self) -> list[Period]:
        """The months that make up the period, in order."""
        return [Period(self.year, "month", m) for m in range(self.first_month, self.last_month + 1)]

    def shift(self, steps: int) -> Period:
        """The period ``steps`` periods of the same type later (earlier when negative)."""
        per_year = 12 // _MONTHS_IN[self.type]
        n = self.year * per_year + self.index - 1 + steps
        return Period(n // per_year, self.type, n % per_year + 1)

    def months_until(self, other: Period) -> int:
        """Whole months from this period's end to ``other``'s end."""
        a, b = self.end_month, other.end_month
        return (b.year - a.year) * 12 + b.index - a.index

    def contains(self, other: Period) -> bool:
        """True when ``other`` lies wholly inside this period."""
        return self.year == other.year and self.first_month <= other.first_month <= other.last_month <= self.last_month


def parse_period(text: str) -> Period:
    """Parse ``2025-12``, ``2025Q4`` or ``2025``; anything else is a clear error."""
    raw = text.strip()
    try:
        if m := _MONTH.match(raw):
            return Period(int(m[1]), "month", int(m[2]))
        if m := _QUARTER.match(raw):
            return Period(int(m[1]), "quarter", int(m[2]))
        if m := _YEAR.match(raw):
            return Period(int(m[1]), "year")
    except ValueError as exc:
        raise YangfanError.single(
            "period.invalid",
            f"期间“{raw}”不存在：{_zh_reason(raw)}",
            f"period '{raw}' does not exist: {exc}",
        ) from None
    raise YangfanError.single(
        "period.format",
        f"期间“{raw}”格式错误，应为 2025-12（月）、2025Q4（季）或 2025（年）",
        f"period '{raw}' is not in a known form: use 2025-12 (month), 2025Q4 (quarter) or 2025 (year)",
    )


def _zh_reason(raw: str) -> str:
    if "Q" in raw:
        return "季度应为 1–4"
    if "-" in raw:
        return "月份应为 01–12"
    return f"年份应在 {MIN_YEAR}–{MAX_YEAR} 之间"


def month_range(first: Period, last: Period) -> list[Period]:
    """All months from ``first`` to ``last`` inclusive."""
    out, p = [], first.end_month if first.type != "month" else first
    while p <= last:
        out.append(p)
        p = p.shift(1)
    return out
