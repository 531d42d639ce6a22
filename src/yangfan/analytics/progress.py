"""Progress against targets (目标进度): latest value, baseline, gap, pace and an honest status."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from yangfan.analytics.query import Analytics, Figure, Query
from yangfan.catalog.models import Plan, Target
from yangfan.geo.orgunits import NATION
from yangfan.geo.periods import Period

Status = Literal["met", "on_track", "behind", "far_behind", "not_met", "no_data", "insufficient", "tracked"]
STATUS_ZH: dict[Status, str] = {
    "met": "已达成", "on_track": "按期", "behind": "滞后", "far_behind": "严重滞后", "not_met": "未达成",
    "no_data": "无数据", "insufficient": "数据不足", "tracked": "跟踪监测",
}
STATUS_EN: dict[Status, str] = {
    "met": "met", "on_track": "on track", "behind": "behind", "far_behind": "far behind", "not_met": "not met",
    "no_data": "no data", "insufficient": "not enough data", "tracked": "tracked",
}
#: A value older than this many months before the latest period of any series is called stale.
STALE_MONTHS = 12
#: The pace of the last 12 months is measured against a value 6 to 24 months before the latest one.
PACE_WINDOW = (6, 24)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where one target stands at one org unit."""

    target: Target
    org_unit: str
    status: Status
    latest: Figure | None = None
    baseline: Figure | None = None
    deadline_value: Figure | None = None
    met_at: Period | None = None
    gap: float | None = None
    months_left: int | None = None
    required_pace: float | None = None
    recent_pace: float | None = None
    notes: tuple[str, ...] = ()
    #: The figures the assessment read, in period order (set by ``progress_table``, for trend lines).
    series: tuple[Figure, ...] = ()

    @property
    def status_zh(self) -> str:
        """The status in Chinese, as the cockpit shows it."""
        return STATUS_ZH[self.status]

    @property
    def share_of_target(self) -> float | None:
        """Latest value as a share of the target value (for a progress bar), capped at 1."""
        if self.latest is None or self.latest.value is None or not self.target.value:
            return None
        return max(0.0, min(1.0, self.latest.value / self.target.value))


def _series(a: Analytics, target: Target, org_units: list[str], published_only: bool) -> dict[str, list[Figure]]:
    """The target's indicator at each org unit, every period with a value, in one query for all units."""
    periods = a.series_any(target.indicator, org_units)
    if not periods:
        return {}
    figures = a.run(Query((target.indicator,), tuple(org_units), tuple(periods), published_only=published_only))
    out: dict[str, list[Figure]] = {}
    for f in figures:
        if f.value is not None:
            out.setdefault(f.org_unit, []).append(f)
    return out


def _at_or_before(series: list[Figure], period: Period) -> Figure | None:
    before = [f for f in series if f.period.end_month <= period.end_month]
    return before[-1] if before else None


def _pace(series: list[Figure], latest: Figure) -> float | None:
    """Change per month over roughly the last 12 months."""
    lo, hi = PACE_WINDOW
    candidates = [f for f in series if lo <= f.period.months_until(latest.period) <= hi]
    if not candidates:
        return None
    ref = min(candidates, key=lambda f: abs(f.period.months_until(latest.period) - 12))
    assert ref.value is not None and latest.value is not None
    return (latest.value - ref.value) / ref.period.months_until(latest.period)


def _notes(latest: Figure, baseline: Figure | None, as_of: Period) -> list[str]:
    notes = []
    if latest.lower_bound:
        notes.append("最新值为下限（超/突破） / latest value is a lower bound")
    if latest.approx:
        notes.append("最新值为约数 / latest value is approximate")
    age = latest.period.months_until(as_of)
    if age >= STALE_MONTHS:
        notes.append(f"最新值已滞后 {age} 个月 / latest value is {age} months old")
    if baseline is not None and baseline.scope != latest.scope:
        notes.append(f"基期与最新值口径不同（{baseline.scope} → {latest.scope}；2024年起含中国广电） / "
                     f"baseline and latest differ in scope ({baseline.scope} → {latest.scope}; "
                     "China Broadcasting included from 2024)")
    return notes


def _met_at(target: Target, series: list[Figure]) -> Period | None:
    for f in series:
        assert f.value is not None
        if target.is_met(f.value):
            return f.period
    return None


def assess(a: Analytics, plan: Plan, target: Target, org_unit: str, as_of: Period,
           published_only: bool = False, series: list[Figure] | None = None) -> Progress:
    """Progress of one target at one org unit, with data up to ``as_of`` (the latest period in the store);
    ``series`` is the unit's figures in period order when the caller has them already."""
    if series is None:
        series = _series(a, target, [org_unit], published_only).get(org_unit, [])
    if not series:
        return Progress(target, org_unit, "tracked" if target.comparator == "track" else "no_data")
    latest = series[-1]
    baseline = _at_or_before(series, plan.baseline_period)
    notes = _notes(latest, baseline, as_of)
    if target.comparator == "track" or target.value is None:
        return Progress(target, org_unit, "tracked", latest, baseline, notes=tuple(notes))
    met_at = _met_at(target, series)
    assert latest.value is not None
    gap = target.value - latest.value
    if target.deadline is not None and target.deadline.end_month <= as_of.end_month:
        return _ended(target, org_unit, series, latest, baseline, met_at, notes)
    if target.is_met(latest.value):
        return Progress(target, org_unit, "met", latest, baseline, None, met_at, gap, notes=tuple(notes))
    months_left = latest.period.months_until(target.deadline) if target.deadline else None
    recent = _pace(series, latest)
    required = gap / months_left if months_left and months_left > 0 else None
    # A pace measured on a figure a year or more old says nothing about today: no verdict.
    stale = latest.period.months_until(as_of) >= STALE_MONTHS
    if recent is None or required is None or stale:
        return Progress(target, org_unit, "insufficient", latest, baseline, None, met_at, gap, months_left,
                        required, recent, tuple(notes))
    ratio = recent / required
    status: Status = "on_track" if ratio >= plan.on_track else "behind" if ratio >= plan.behind else "far_behind"
    return Progress(target, org_unit, status, latest, baseline, None, met_at, gap, months_left, required, recent,
                    tuple(notes))


def _ended(target: Target, org_unit: str, series: list[Figure], latest: Figure, baseline: Figure | None,
           met_at: Period | None, notes: list[str]) -> Progress:
    """A target whose deadline has passed: judged on the value at the deadline."""
    assert target.deadline is not None
    at_deadline = next((f for f in series if f.period.end_month == target.deadline.end_month), None)
    before = _at_or_before(series, target.deadline)
    if at_deadline is None:
        near = f"截止期无数据，之前最近值 {before.period}" if before else "截止期及之前无数据"
        notes.append(f"{near} / no value at the deadline")
        if met_at is not None and met_at.end_month <= target.deadline.end_month:
            return Progress(target, org_unit, "met", latest, baseline, before, met_at, notes=tuple(notes))
        return Progress(target, org_unit, "no_data", latest, baseline, before, met_at, notes=tuple(notes))
    assert at_deadline.value is not None
    status: Status = "met" if target.is_met(at_deadline.value) else "not_met"
    return Progress(target, org_unit, status, latest, baseline, at_deadline, met_at,
                    target.value - at_deadline.value if target.value is not None else None, notes=tuple(notes))


def progress_table(a: Analytics, plans: dict[str, Plan], targets: list[Target], org_units: list[str] | None = None,
                   published_only: bool = False) -> list[Progress]:
    """Progress of each target at each org unit where its indicator has data (the nation first)."""
    as_of = a.latest_month()
    out = []
    for t in targets:
        units = org_units or _units_for(a, t)
        series = _series(a, t, units, published_only)
        for ou in units:
            found = series.get(ou, [])
            p = replace(assess(a, plans[t.plan], t, ou, as_of, published_only, found), series=tuple(found))
            if ou == NATION or org_units or p.status not in ("no_data", "tracked") or p.latest is not None:
                out.append(p)
    return out


def _units_for(a: Analytics, t: Target) -> list[str]:
    """The nation, and for a ratio indicator every unit with data (a national count means nothing for a region)."""
    ind = a.catalog.indicators[t.indicator]
    if ind.kind == "raw" and ind.org_aggregation == "sum":
        return [NATION]
    return [NATION] + [u for u in a.units_with_data(t.indicator) if u != NATION]
