"""Completeness and timeliness of reporting (报送率, 及时率): per form, org unit and period, how many returns
were due, received, on time, late and missing; counted into the catalog's ``reports_*`` indicators so that
the analytics sum them over the tree and the cockpit shows the rates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yangfan.collect.reporting import Obligation
from yangfan.geo.orgunits import NATION
from yangfan.store.values import NewValue

SOURCE_KIND = "completeness"
SOURCE_TITLE = "报送情况统计（平台按报表截止日计算） / returns due, received and on time, counted by the platform"


@dataclass(frozen=True, slots=True)
class Tally:
    """Returns of one group: expected (due, or received early), received, on time, late, missing, and open (not
    yet due nor received)."""

    expected: int = 0
    received: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    open: int = 0

    @property
    def reporting_rate(self) -> float | None:
        """Received ÷ due, in per cent."""
        return 100 * self.received / self.expected if self.expected else None

    @property
    def timeliness_rate(self) -> float | None:
        """On time ÷ due, in per cent."""
        return 100 * self.on_time / self.expected if self.expected else None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {"expected": self.expected, "received": self.received, "on_time": self.on_time, "late": self.late,
                "missing": self.missing, "open": self.open,
                "reporting_rate": _round(self.reporting_rate), "timeliness_rate": _round(self.timeliness_rate)}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def tally(obligations: Iterable[Obligation]) -> Tally:
    """Count the returns: expected are those due and those received before they fell due (a return neither due
    nor received is open)."""
    c: Counter[str] = Counter(o.timeliness for o in obligations)
    due = c["on_time"] + c["late"] + c["missing"]
    return Tally(due, c["on_time"] + c["late"], c["on_time"], c["late"], c["missing"], c["open"])


def by(obligations: Sequence[Obligation], *fields: str) -> dict[tuple[str, ...], Tally]:
    """Tallies grouped by any of form, org_unit, reporter, period."""
    groups: dict[tuple[str, ...], list[Obligation]] = {}
    for o in obligations:
        values = {"form": o.form.code, "org_unit": o.ret.org_unit, "reporter": o.ret.reporter,
                  "period": str(o.period)}
        groups.setdefault(tuple(values[f] for f in fields), []).append(o)
    return {k: tally(v) for k, v in sorted(groups.items())}


def values(obligations: Sequence[Obligation]) -> list[NewValue]:
    """The counts as data values of ``reports_expected``, ``reports_received`` and ``reports_on_time`` per
    province and month (a quarter's or a year's returns at its last month). The nation's are the sums of the
    provinces': returns of national figures (the departments') are not counted here."""
    groups: dict[tuple[str, str], list[Obligation]] = {}
    for o in obligations:
        if o.ret.org_unit != NATION and o.timeliness != "open":
            groups.setdefault((o.ret.org_unit, str(o.period.end_month)), []).append(o)
    out = []
    for (unit, month), group in sorted(groups.items()):
        t = tally(group)
        for code, n in (("reports_expected", t.expected), ("reports_received", t.received),
                        ("reports_on_time", t.on_time)):
            out.append(NewValue(code, unit, month, float(n), source_kind=SOURCE_KIND, source_title=SOURCE_TITLE))
    return out
