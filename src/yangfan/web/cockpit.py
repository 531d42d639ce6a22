"""View model of the cockpit (驾驶舱): rows of targets with value, bar, status, trend and sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yangfan.access.accounts import grants_of
from yangfan.access.permissions import ministry_level
from yangfan.analytics.progress import STATUS_EN, Progress
from yangfan.analytics.query import Query
from yangfan.catalog.models import PLATFORM_READING
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import NATION
from yangfan.store.db import session_scope
from yangfan.web.cache import per_build
from yangfan.web.i18n import TEXTS, Lang, deadline_text, in_language, scale, target_text, value_text
from yangfan.web.indicator import time_line


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
    trend: dict[str, Any]
    #: The latest figure is computed from demo values (演示数据): badged wherever it shows.
    demo: bool = False
    #: The registry records behind the figure, when it is a registry count.
    records_url: str = ""
    #: The registry's count beside a published headline (U11, T03, T05), its records and the difference.
    beside_text: str = ""
    beside_url: str = ""
    beside_demo: bool = False
    difference_text: str = ""


def status_text(p: Progress, lang: Lang) -> str:
    """The status as people read it; one decided within the figure's uncertainty says so."""
    text = p.status_zh if lang == "zh" else STATUS_EN[p.status]
    if p.uncertain:
        text += "（存疑）" if lang == "zh" else " (uncertain)"
    return text


def progress_notes(p: Progress, lang: Lang) -> list[str]:
    """What the reader must know beside a status: Yangfan's reading of a clause without a number, the
    assessment's notes, and the quality notes (质量提示) of the figure it was judged on."""
    out = []
    if p.target.reading:
        r = p.target.reading
        out.append(f"{PLATFORM_READING['zh']}：{r.zh}" if lang == "zh" else f"{PLATFORM_READING['en']}: {r.en}")
    out += [in_language(n, lang) for n in p.notes]
    judged = p.deadline_value or p.latest
    if judged is not None:
        out += [f"{TEXTS['quality'][lang]}：{in_language(q, lang)}" for q in judged.quality]
    return out


def _at_deadline(y: Yangfan, p: Progress, lang: Lang) -> str:
    """The value the target was judged on, with its period when that is not the deadline itself."""
    f = p.deadline_value
    if f is None:
        return "—"
    text = value_text(y.catalog.indicators[p.target.indicator], f.value, lang)
    return text if p.target.deadline and f.period == p.target.deadline else f"{text}（{f.period}）"


def _trend(y: Yangfan, p: Progress, lang: Lang) -> dict[str, Any]:
    """The national series the progress was judged on, for the sparkline: on a time axis, broken where
    periods are missing, in one unit for the whole line, with its decimals for the tooltip."""
    figures = [f for f in p.series if f.value is not None]
    if len(figures) < 2:
        return {}
    s = scale(y.catalog.indicators[p.target.indicator], lang, max(abs(f.value or 0) for f in figures))
    return {"unit": s.unit, "decimals": s.decimals, "points": time_line((f.period, s.number(f.value)) for f in figures)}


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
            target_text=target_text(ind, p.target, lang),
            latest_text=value_text(ind, latest.value if latest else None, lang),
            period=latest.period.code if latest else "",
            share=p.share_of_target,
            status=p.status,
            status_text=status_text(p, lang),
            deadline=deadline_text(p.target, lang),
            sources=list(latest.sources) if latest else [],
            notes=progress_notes(p, lang),
            lower_bound=bool(latest and latest.lower_bound),
            at_deadline_text=_at_deadline(y, p, lang),
            met_at=p.met_at.code if p.met_at else "",
            trend=_trend(y, p, lang),
            demo=bool(latest and latest.demo),
            **_registry_fields(y, p, lang),
        ))
    return rows


def records_link(indicator: str, org_unit: str, period: str) -> str:
    """The registry records behind a count: the list filtered to what the count took."""
    return f"/registry?indicator={indicator}&period={period}&org_unit={org_unit}"


def _registry_fields(y: Yangfan, p: Progress, lang: Lang) -> dict[str, Any]:
    """A registry count links to its records; a count beside a published figure shows with the difference."""
    out: dict[str, Any] = {}
    if p.latest is not None and y.registry.count_for(p.target.indicator):
        out["records_url"] = records_link(p.target.indicator, p.org_unit, p.latest.period.code)
    b = p.beside
    if b is not None and b.value is not None and p.target.registry:
        ind = y.catalog.indicators[p.target.indicator]
        out |= {"beside_text": value_text(y.catalog.indicators[p.target.registry], b.value, lang),
                "beside_url": records_link(p.target.registry, p.org_unit, b.period.code), "beside_demo": b.demo}
        if p.difference is not None:
            sign = "+" if p.difference > 0 else ""
            out["difference_text"] = sign + value_text(ind, p.difference, lang)
    return out


@dataclass(frozen=True, slots=True)
class ReportingPanel:
    """The cockpit's 报送情况 panel: the nation's reporting and timeliness rates of the latest month counted."""

    period: str
    reporting_rate: float | None
    timeliness_rate: float | None
    expected: int
    received: int
    on_time: int


def reporting_panel(y: Yangfan) -> ReportingPanel | None:
    """The national rates (catalog indicators ``reporting_rate``, ``timeliness_rate``) of the latest month with
    returns due; None before any. Approved, never published: for ministry-level readers only."""
    months = [p for p in y.analytics.series("reports_expected", NATION, published_only=False) if p.type == "month"]
    if not months:
        return None
    codes = ("reporting_rate", "timeliness_rate", "reports_expected", "reports_received", "reports_on_time")
    # The latest month whose national count is complete: while a month's returns fall due, some provinces have
    # none expected yet and the nation's sum waits.
    found = {(f.period.code, f.indicator.code): f.value
             for f in y.query(Query(codes, (NATION,), tuple(months[-3:]), published_only=False))}
    month = next((m for m in reversed(months[-3:]) if found.get((m.code, "reporting_rate")) is not None), months[-1])
    got = {code: found.get((month.code, code)) for code in codes}
    return ReportingPanel(month.code, got.get("reporting_rate"), got.get("timeliness_rate"),
                          int(got.get("reports_expected") or 0), int(got.get("reports_received") or 0),
                          int(got.get("reports_on_time") or 0))


def reporting_panel_for(request: Any, user: str | None) -> ReportingPanel | None:
    """The panel for the signed-in user of a page, when it reads approved figures (the cockpit template calls
    this: the cockpit's route renders for everyone, the panel only for the ministry)."""
    if not user:
        return None
    y: Yangfan = request.app.state.yangfan
    with session_scope(y.engine) as s:
        ministry = ministry_level(grants_of(s, user))
    if not ministry:
        return None
    try:
        return reporting_panel(y)
    except YangfanError:  # no analytics build yet
        return None
