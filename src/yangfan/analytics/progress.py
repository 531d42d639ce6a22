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
    #: The status was decided by a margin within the figure's rounding and population-year uncertainty.
    uncertain: bool = False
    #: The registry's count of the same thing (a target's ``registry``), at the latest figure's period when the
    #: registry has one, else its latest: shown beside the headline, never in its place.
    beside: Figure | None = None

    @property
    def difference(self) -> float | None:
        """Headline minus registry count, when both are there."""
        if self.beside is None or self.beside.value is None or self.latest is None or self.latest.value is None:
            return None
        return self.latest.value - self.beside.value

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


def _figures(a: Analytics, indicator: str, org_units: list[str], published_only: bool) -> dict[str, list[Figure]]:
    """An indicator at each org unit, every period with a value, in one query for all units."""
    periods = a.series_any(indicator, org_units, published_only=published_only)
    if not periods:
        return {}
    figures = a.run(Query((indicator,), tuple(org_units), tuple(periods), published_only=published_only))
    out: dict[str, list[Figure]] = {}
    for f in figures:
        if f.value is not None:
            out.setdefault(f.org_unit, []).append(f)
    return out


def _series(a: Analytics, target: Target, org_units: list[str], published_only: bool) -> dict[str, list[Figure]]:
    """The target's figures at each org unit in period order: its indicator as published, and where a target
    names a computed stand-in, that one at the months for which nothing is published."""
    out = _figures(a, target.indicator, org_units, published_only)
    if target.computed is None:
        return out
    for unit, computed in _figures(a, target.computed, org_units, published_only).items():
        published = out.get(unit, [])
        months = {f.period.end_month for f in published}
        merged = published + [f for f in computed if f.period.end_month not in months]
        out[unit] = sorted(merged, key=lambda f: (f.period.end_month, f.indicator.code != target.indicator))
    return out


def _at_or_before(series: list[Figure], period: Period) -> Figure | None:
    before = [f for f in series if f.period.end_month <= period.end_month]
    return before[-1] if before else None


def on_coverage(a: Analytics, f: Figure, scope: str, published_only: bool = False) -> Figure | None:
    """``f`` restated on the coverage ``scope`` (口径), from its inputs restated on it; None when one is not held.

    A raw figure is the restated value itself; a derived one swaps each single-input side whose indicator
    changed coverage for its restatement (per-capita and share indicators have one input a side).
    """
    ind = f.indicator
    sides = {"r": (ind.code,)} if ind.kind == "raw" else {"n": ind.numerator, "d": ind.denominator}
    scoped = {k: codes[0] for k, codes in sides.items() if len(codes) == 1 and a.catalog.indicators[codes[0]].scopes}
    if not scoped or any(len(codes) > 1 and any(a.catalog.indicators[c].scopes for c in codes)
                         for codes in sides.values()):
        return None
    again = a.run(Query(tuple(dict.fromkeys(scoped.values())), (f.org_unit,), (f.period,), f"scope={scope}",
                        published_only=published_only))
    values = {g.indicator.code: g for g in again}
    if any(values[c].value is None for c in scoped.values()):
        return None
    if ind.kind == "raw":
        return values[ind.code]
    num = values[scoped["n"]].value if "n" in scoped else f.numerator
    den = values[scoped["d"]].value if "d" in scoped else f.denominator
    if num is None or not den:
        return None
    return f._replace(value=num / den * ind.scale, numerator=num, denominator=den, scope=scope,
                      approx=f.approx or any(values[c].approx for c in scoped.values()))


def _reference(series: list[Figure], latest: Figure) -> Figure | None:
    """The figure about 12 months before the latest one that the recent pace is measured against."""
    lo, hi = PACE_WINDOW
    candidates = [f for f in series if lo <= f.period.months_until(latest.period) <= hi]
    if not candidates:
        return None
    return min(candidates, key=lambda f: abs(f.period.months_until(latest.period) - 12))


def _pace(ref: Figure | None, latest: Figure) -> float | None:
    """Change per month from the reference figure to the latest one."""
    if ref is None:
        return None
    assert ref.value is not None and latest.value is not None
    return (latest.value - ref.value) / ref.period.months_until(latest.period)


def _like_for_like(a: Analytics, ref: Figure | None, latest: Figure, published_only: bool
                   ) -> tuple[Figure | None, list[str]]:
    """The pace's reference on the latest figure's coverage: across a coverage change, its restatement,
    or no pace at all (comparing two coverages would count the newcomer's users as growth)."""
    if ref is None or ref.scope == latest.scope or not latest.scope:
        return ref, []
    restated = on_coverage(a, ref, latest.scope, published_only)
    names = a.catalog.scopes
    after = names[latest.scope].zh if latest.scope in names else latest.scope
    if restated is not None:
        return restated, [f"增速按同口径计算：{ref.period} 采用按{after}重述的数值 / the pace compares like with "
                          f"like: {ref.period} restated on the later coverage"]
    return None, [f"增速跨越口径调整（{ref.period} → {latest.period}），无同口径重述数，未作判断 / the pace would "
                  "cross a coverage change without a restated figure: no verdict"]


def _notes(a: Analytics, latest: Figure, baseline: Figure | None, as_of: Period) -> list[str]:
    notes = []
    if latest.lower_bound:
        notes.append("最新值为下限（超/突破） / latest value is a lower bound")
    if latest.approx:
        notes.append("最新值为约数 / latest value is approximate")
    age = latest.period.months_until(as_of)
    if age >= STALE_MONTHS:
        notes.append(f"最新值已滞后 {age} 个月 / latest value is {age} months old")
    if baseline is not None and baseline.scope != latest.scope:
        names = a.catalog.scopes
        zh = "；".join(names[c].zh for c in (baseline.scope, latest.scope) if c in names)
        en = "; ".join(names[c].en for c in (baseline.scope, latest.scope) if c in names)
        notes.append(f"基期与最新值口径不同（{zh}） / baseline and latest differ in coverage ({en})")
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
    return _with_margin(a, _assess(a, plan, target, org_unit, as_of, published_only, series))


def uncertainty(a: Analytics, f: Figure) -> float:
    """How far ``f`` could be off for reasons that are not news: the rounding of what it shows and of its
    published inputs, and for a per-capita figure the difference the neighbouring population year makes."""
    ind = f.indicator
    assert f.value is not None

    def half(code: str) -> float:
        return a.catalog.indicators[code].half_unit

    if ind.kind == "raw":
        return 2 * ind.half_unit
    shown = ind.half_unit
    rounding = abs(f.value) * sum(half(c) / abs(side) for codes, side in ((ind.numerator, f.numerator),
                                                                         (ind.denominator, f.denominator))
                                  if side for c in codes)
    vintage = 0.0
    if f.numerator is not None and all(a.catalog.indicators[c].period_type == "year" for c in ind.denominator):
        year_before = Period(a.population_year(f.period) - 1, "year")
        other = sum(o.value or 0.0 for o in a.run(Query(ind.denominator, (f.org_unit,), (year_before,))))
        vintage = abs(f.numerator / other * ind.scale - f.value) if other else 0.0
    return shown + rounding + vintage


def _with_margin(a: Analytics, p: Progress) -> Progress:
    """A status decided by less than the figure's uncertainty says so (e.g. 85.03 against 超85)."""
    judged = p.deadline_value or p.latest
    threshold = p.target.value
    if judged is None or judged.value is None or threshold is None or p.status in ("tracked", "no_data"):
        return p
    margin, doubt = abs(judged.value - threshold), uncertainty(a, judged)
    if margin > doubt:
        return p
    d = judged.indicator.decimals + 1
    note = (f"判定差距（{margin:.{d}f}）不大于取整及人口年份差异可能造成的误差（{doubt:.{d}f}），结论存疑 / the margin "
            f"({margin:.{d}f}) is within what rounding and the population year can move ({doubt:.{d}f}): "
            "the status is uncertain")
    return replace(p, uncertain=True, notes=(*p.notes, note))


def _assess(a: Analytics, plan: Plan, target: Target, org_unit: str, as_of: Period,
            published_only: bool, series: list[Figure] | None) -> Progress:
    if series is None:
        series = _series(a, target, [org_unit], published_only).get(org_unit, [])
    if not series:
        return Progress(target, org_unit, "tracked" if target.comparator == "track" else "no_data")
    latest = series[-1]
    baseline = _at_or_before(series, plan.baseline_period)
    notes = _notes(a, latest, baseline, as_of)
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
    ref, pace_notes = _like_for_like(a, _reference(series, latest), latest, published_only)
    notes += pace_notes
    recent = _pace(ref, latest)
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
    as_of = a.latest_month(published_only)
    out = []
    for t in targets:
        units = org_units or _units_for(a, t, published_only)
        series = _series(a, t, units, published_only)
        counted = _figures(a, t.registry, units, published_only) if t.registry else {}
        for ou in units:
            found = series.get(ou, [])
            p = replace(assess(a, plans[t.plan], t, ou, as_of, published_only, found), series=tuple(found))
            if counted.get(ou):
                p = replace(p, beside=_beside(counted[ou], p.latest))
            if ou == NATION or org_units or p.status not in ("no_data", "tracked") or p.latest is not None:
                out.append(p)
    return out


def _beside(counts: list[Figure], latest: Figure | None) -> Figure:
    """The registry count to show beside the headline: at the headline's period when there is one, else the latest."""
    if latest is not None:
        same = _at_or_before(counts, latest.period)
        if same is not None and same.period.end_month == latest.period.end_month:
            return same
    return counts[-1]


def _units_for(a: Analytics, t: Target, published_only: bool) -> list[str]:
    """The nation, and for a ratio indicator every unit with data (a national count means nothing for a region)."""
    ind = a.catalog.indicators[t.indicator]
    if ind.kind == "raw" and ind.org_aggregation == "sum":
        return [NATION]
    return [NATION] + [u for u in a.units_with_data(t.indicator, published_only=published_only) if u != NATION]
