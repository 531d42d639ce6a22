"""View model of the cockpit (驾驶舱): rows of targets with value, bar, status, trend and sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yangfan.analytics.progress import STATUS_EN, Progress
from yangfan.catalog import Target
from yangfan.context import Yangfan
from yangfan.geo.orgunits import NATION
from yangfan.web.cache import per_build
from yangfan.web.i18n import Lang, unit_text


def _num(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


@dataclass(frozen=True, slots=True)
class CockpitRow:
    """One target as the cockpit shows it."""

    code: str
    indicator: str
    name: str
    section: str
    target_text: str
    latest_text: str
    period: str
    share: float | None
    status: str
    status_text: str
    deadline: str
    sources: list[str]
    notes: list[str]
    lower_bound: bool
    at_deadline_text: str
    met_at: str
    trend: list[list[Any]]


def target_text(y: Yangfan, target: Target, lang: Lang) -> str:
    """A target as people read it: 超 85%, ≥ 38 per 10k residents, …"""
    ind = y.catalog.indicators[target.indicator]
    if target.value is None:
        return "—"
    divisor, unit_zh, unit_en = ind.display_divisor, ind.display_unit, ind.display.unit_en if ind.display else ""
    if target.value >= 1e8 and ind.unit in ("个", "户"):  # 1亿, not 10,000万
        divisor, unit_zh, unit_en = 1e8, "亿" + ind.unit, "100 million"
    value = target.value / divisor
    comparator = {"超": "超" if lang == "zh" else ">", "达": "达" if lang == "zh" else "≥"}[target.comparator]
    return f"{comparator} {value:,.{0 if value == int(value) else 1}f} {unit_text(unit_zh, unit_en, lang)}".strip()


def value_text(y: Yangfan, code: str, value: float | None, lang: Lang) -> str:
    """A value in its display unit, with the unit."""
    if value is None:
        return "—"
    ind = y.catalog.indicators[code]
    unit = unit_text(ind.display_unit, ind.display.unit_en if ind.display else "", lang)
    return f"{_num(value / ind.display_divisor, ind.decimals)} {unit}".strip()


def _at_deadline(y: Yangfan, p: Progress, lang: Lang) -> str:
    """The value the target was judged on, with its period when that is not the deadline itself."""
    f = p.deadline_value
    if f is None:
        return "—"
    text = value_text(y, p.target.indicator, f.value, lang)
    return text if p.target.deadline and f.period == p.target.deadline else f"{text}（{f.period}）"


def _trend(y: Yangfan, p: Progress) -> list[list[Any]]:
    """The national series the progress was judged on, in display units, for the sparkline."""
    if len(p.series) < 2:
        return []
    ind = y.catalog.indicators[p.target.indicator]
    return [[f.period.code, round(f.value / ind.display_divisor, ind.decimals + 1)]
            for f in p.series if f.value is not None]


@per_build
def cockpit_rows(y: Yangfan, plan: str, lang: Lang) -> list[CockpitRow]:
    """The plan's targets at the nation, in catalog order."""
    rows = []
    for p in y.progress(plan, [NATION], published_only=True):  # the cockpit is public: published figures only
        ind = y.catalog.indicators[p.target.indicator]
        latest = p.latest
        rows.append(CockpitRow(
            code=p.target.code,
            indicator=ind.code,
            name=ind.name_zh if lang == "zh" else ind.name_en,
            section=p.target.clause.section,
            target_text=target_text(y, p.target, lang),
            latest_text=value_text(y, ind.code, latest.value if latest else None, lang),
            period=latest.period.code if latest else "",
            share=p.share_of_target,
            status=p.status,
            status_text=p.status_zh if lang == "zh" else STATUS_EN[p.status],
            deadline=p.target.deadline.code if p.target.deadline else "",
            sources=list(latest.sources) if latest else [],
            notes=[n.split(" / ")[0 if lang == "zh" else -1] for n in p.notes],
            lower_bound=bool(latest and latest.lower_bound),
            at_deadline_text=_at_deadline(y, p, lang),
            met_at=p.met_at.code if p.met_at else "",
            trend=_trend(y, p),
        ))
    return rows
