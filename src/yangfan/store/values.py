"""Domain model of an incoming data value, shared by every producer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Qualifier = Literal["exact", "lower_bound", "approx"]
#: draft → submitted → approved (by the province) → accepted (by the ministry) → published; or returned.
Status = Literal["draft", "submitted", "approved", "accepted", "published", "returned"]
QUALIFIERS: tuple[Qualifier, ...] = ("exact", "approx", "lower_bound")  # preference order
STATUSES: tuple[Status, ...] = ("draft", "submitted", "approved", "accepted", "published", "returned")
#: Statuses whose values enter analytics.
RELEASED: tuple[Status, ...] = ("approved", "accepted", "published")
#: How far a value has come: a new version replaces an older one of the same source only from the same rank
#: or higher, so a submission never hides a released figure and an approval never hides a published one.
RANK: dict[str, int] = {"draft": 0, "submitted": 0, "returned": 0, "approved": 1, "accepted": 1, "published": 2}


@dataclass(frozen=True, slots=True)
class NewValue:
    """One data value to store: the key, the number in the indicator's base unit, and where it came from."""

    indicator: str
    org_unit: str
    period: str
    value: float
    disaggregation: str = ""
    qualifier: Qualifier = "exact"
    scope: str = ""
    priority: int = 0
    source_kind: str = "import"
    source_title: str = ""
    source_url: str | None = None
    source_row: int | None = None
    note: str = ""
    #: The cell of a workbook the value stood in ("填报!F7"), when a row number is not enough.
    source_cell: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        """indicator × org unit × period × disaggregation."""
        return (self.indicator, self.org_unit, self.period, self.disaggregation)

    @property
    def source_key(self) -> tuple[str, str | None, str]:
        """What identifies the source of this value."""
        return (self.source_kind, self.source_url, self.source_title)
