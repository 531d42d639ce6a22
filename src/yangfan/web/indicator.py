"""View model of an indicator page: what it means, its series at one org unit, its targets and provenance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from yangfan.analytics.query import Figure, Query
from yangfan.catalog import Indicator
from yangfan.context import Yangfan
from yangfan.geo.periods import Period, month_range, parse_period
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow, ImportBatchRow
from yangfan.web.cache import per_build
from yangfan.web.cockpit import target_text
from yangfan.web.i18n import Lang, unit_name, unit_text

Freq = Literal["month", "quarter", "year"]
FREQS: tuple[Freq, ...] = ("month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class Row:
    """One figure of the series as the table (and its downloads) show it."""

    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    flags: list[str]
    demo: bool
    sources: list[str]
    approvals: list[str]


@dataclass(frozen=True, slots=True)
class TargetLine:
    """A target of some plan on this indicator, drawn as a line up to its deadline."""

    code: str
    plan: str
    value: float
    text: str
    deadline: str
    clause: str


@dataclass(frozen=True, slots=True)
class IndicatorView:
    """Everything the indicator page shows."""

    indicator: Indicator
    name: str
    definition: str
    formula: str
    unit: str
    org_unit: str
    org_unit_name: str
    freq: Freq
    freqs: list[Freq]
    rows: list[Row]
    targets: list[TargetLine]
    has_demo: bool

    def chart(self) -> dict[str, Any]:
        """The data of the chart: periods up to the last deadline, values, target lines."""
        periods = [r.period for r in self.rows]
        deadlines = [t.deadline for t in self.targets if t.deadline]
        if periods and deadlines:
            periods = _extend(periods, max(deadlines))
        values = {r.period: r.value for r in self.rows}
        return {"periods": periods, "values": [values.get(p) for p in periods],
                "demo": [p for p in periods if any(r.demo for r in self.rows if r.period == p)],
                "unit": self.unit, "name": self.name, "decimals": self.indicator.decimals,
                "targets": [{"value": t.value, "label": f"{t.code} {t.text}", "deadline": t.deadline}
                            for t in self.targets]}


def _extend(periods: list[str], deadline: str) -> list[str]:
    """The axis runs on to the deadline, so that the target line ends where it is due; gaps stay visible."""
    p = parse_period(periods[0])
    end = max(parse_period(deadline).end_month.start, parse_period(periods[-1]).start)
    out = []
    while p.start <= end:
        out.append(p.code)
        p = p.shift(1)
    return out


def _periods(y: Yangfan, ind: Indicator, org_unit: str, freq: Freq) -> list[Period]:
    native = y.analytics.series(ind.code, org_unit)
    if not native:
        return []
    if freq == "month" or all(p.type == freq for p in native):
        return [p for p in native if p.type == freq]
    months = [m for p in native for m in p.months()]
    first, last = min(months, key=lambda p: p.start), max(months, key=lambda p: p.start)
    wanted = {Period(m.year, "quarter", (m.index - 1) // 3 + 1) if freq == "quarter" else Period(m.year, "year")
              for m in month_range(first, last)}
    return sorted(wanted, key=lambda p: p.start)


def _freqs(y: Yangfan, ind: Indicator, org_unit: str) -> list[Freq]:
    native = {p.type for p in y.analytics.series(ind.code, org_unit)}
    if native == {"year"}:
        return ["year"]
    return ["month", "quarter", "year"] if "month" in native else [f for f in FREQS if f != "month"]


def _flags(f: Figure, lang: Lang) -> list[str]:
    names = {"lower_bound": ("下限", "floor"), "approx": ("约数", "approx."), "incomplete": ("不完整", "incomplete")}
    return [names[k][0 if lang == "zh" else 1] for k in names if getattr(f, k)]


def _approvals(y: Yangfan, figures: list[Figure], lang: Lang) -> dict[tuple[str, str], list[str]]:
    """Who put each figure's stored inputs in the store, and in what state they are."""
    if not figures:
        return {}
    f0 = figures[0]
    by_period = y.analytics.inputs_by_period(f0.indicator.code, f0.org_unit, tuple(f.period for f in figures))
    cells = {(f0.org_unit, p): cs for p, cs in by_period.items()}
    ids = {c.value_id for cs in cells.values() for c in cs if c.value_id is not None}
    if not ids:
        return {}
    status_zh = {"published": "已发布", "approved": "已审核", "submitted": "待审核"}
    with session_scope(y.engine) as s:
        rows = s.execute(select(DataValueRow.id, DataValueRow.status, ImportBatchRow.imported_by)
                         .join(ImportBatchRow, ImportBatchRow.id == DataValueRow.batch_id, isouter=True)
                         .where(DataValueRow.id.in_(ids))).all()
    who = {i: f"{status_zh.get(st, st) if lang == 'zh' else st} · {by or 'system'}" for i, st, by in rows}
    out: dict[tuple[str, str], list[str]] = {}
    for key, cs in cells.items():
        out[key] = sorted({who[c.value_id] for c in cs if c.value_id in who})
    return out


def _targets(y: Yangfan, ind: Indicator, lang: Lang) -> list[TargetLine]:
    out = []
    for t in y.catalog.targets.values():
        if t.indicator != ind.code or t.value is None:
            continue
        plan = y.catalog.plans[t.plan]
        out.append(TargetLine(t.code, plan.title_zh if lang == "zh" else plan.title_en,
                              round(t.value / ind.display_divisor, 6), target_text(y, t, lang),
                              t.deadline.code if t.deadline else "", f"{t.clause.section}：“{t.clause.quote}”"))
    return out


def formula(y: Yangfan, ind: Indicator, lang: Lang) -> str:
    """How a derived indicator is computed, in words."""
    if ind.kind == "raw":
        return "直接报送或公布的数值" if lang == "zh" else "reported or published value"

    def names(codes: tuple[str, ...]) -> str:
        inds = [y.catalog.indicators[c] for c in codes]
        return " + ".join(i.name_zh if lang == "zh" else i.name_en for i in inds)

    scale = f" × {ind.scale:g}" if ind.scale != 1 else ""
    return f"({names(ind.numerator)}) ÷ ({names(ind.denominator)}){scale}"


@per_build
def indicator_view(y: Yangfan, code: str, org_unit: str, freq: str | None, published_only: bool,
                   lang: Lang) -> IndicatorView:
    """The page of one indicator at one org unit (the nation by default)."""
    ind = y.catalog.indicator(code)
    unit = y.tree.get(org_unit)
    freqs = _freqs(y, ind, org_unit)
    chosen = next((f for f in freqs if f == freq), freqs[0])
    periods = _periods(y, ind, org_unit, chosen)
    figures = [f for f in y.query(Query((code,), (org_unit,), tuple(periods), published_only=published_only))
               if f.value is not None]
    approvals = _approvals(y, figures, lang)
    rows = [Row(f.period.code, f.rounded(), f.numerator, f.denominator, _flags(f, lang), f.demo,
                list(f.sources), approvals.get((f.org_unit, f.period.code), [])) for f in figures]
    return IndicatorView(
        indicator=ind, name=ind.name_zh if lang == "zh" else ind.name_en,
        definition=ind.definition_zh if lang == "zh" else ind.definition_en, formula=formula(y, ind, lang),
        unit=unit_text(ind.display_unit, ind.display.unit_en if ind.display else ind.unit_en, lang),
        org_unit=org_unit, org_unit_name=unit_name(unit, lang),
        freq=chosen, freqs=freqs, rows=rows, targets=_targets(y, ind, lang), has_demo=any(r.demo for r in rows))


def table(view: IndicatorView, lang: Lang) -> tuple[list[str], list[list[Any]]]:
    """Exactly what the page's table shows, as header and rows for the CSV and XLSX downloads."""
    zh = lang == "zh"
    header = (["指标", "组织单元", "期间", f"数值（{view.unit}）", "分子", "分母", "标记", "演示数据", "来源", "审核"]
              if zh else ["indicator", "org unit", "period", f"value ({view.unit})", "numerator", "denominator",
                          "flags", "demo data", "sources", "approval"])
    demo_text = ("演示数据", "") if zh else ("demo", "")
    rows = [[view.indicator.code, view.org_unit, r.period, r.value, r.numerator, r.denominator, "；".join(r.flags),
             demo_text[0] if r.demo else demo_text[1], " ".join(r.sources), "；".join(r.approvals)]
            for r in view.rows]
    return header, rows
