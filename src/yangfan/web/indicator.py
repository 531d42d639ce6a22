"""View model of an indicator page: what it means, its series at one org unit, its targets and provenance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select

from yangfan.analytics.progress import on_coverage
from yangfan.analytics.query import Figure, Query
from yangfan.catalog import Indicator
from yangfan.context import Yangfan
from yangfan.geo.periods import Period, month_range, parse_period
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow, ImportBatchRow
from yangfan.store.repository import sources_of_keys
from yangfan.store.values import RELEASED
from yangfan.web.cache import per_build
from yangfan.web.i18n import TEXTS, Lang, Scale, base_unit, in_language, scale, target_text, unit_name

Freq = Literal["month", "quarter", "year"]
FREQS: tuple[Freq, ...] = ("month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class Row:
    """One figure of the series as the table (and its downloads) show it."""

    period: str
    #: As the table shows it, as a number and as text: rounded, in the page's unit (万个, or million in English).
    value: float | None
    text: str
    #: What the figure holds, unrounded, in the indicator's base unit (个, 户, %, 个/万人).
    exact: float | None
    numerator: float | None
    denominator: float | None
    flags: list[str]
    demo: bool
    sources: list[str]
    approvals: list[str]
    #: Quality notes (质量提示) of the figure's inputs that failed a consistency check.
    quality: list[str]


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
    #: The unit of the table's and the chart's values, their decimals, and the table's column head with the unit.
    unit: str
    decimals: int
    value_label: str
    #: The unit of the figures' full-precision values.
    base_unit: str
    org_unit: str
    org_unit_name: str
    freq: Freq
    freqs: list[Freq]
    rows: list[Row]
    targets: list[TargetLine]
    has_demo: bool
    #: Where the coverage (口径) of the figures changes: (period, short label for the chart, what it covers after).
    breaks: list[tuple[str, str, str]] = field(default_factory=list)
    #: The figures just before a break restated on the coverage after it, as (period, value in the page's unit).
    restated: list[tuple[str, float | None]] = field(default_factory=list)

    def chart(self) -> dict[str, Any]:
        """The data of the chart: real and demo figures as two lines on a time axis (a missing period breaks
        the line), the target lines and their deadlines, the axis running on to the last deadline."""
        def line(demo: bool) -> list[dict[str, Any]]:
            return time_line((parse_period(r.period), r.value) for r in self.rows if r.demo == demo)

        targets = [{"value": t.value, "label": f"{t.code} {t.text}", "deadline": t.deadline,
                    "at": _in_freq(parse_period(t.deadline), self.freq).start.isoformat() if t.deadline else None}
                   for t in self.targets]
        ends = [x["at"] for x in targets if x["at"]] + [parse_period(r.period).start.isoformat() for r in self.rows]
        return {"freq": self.freq, "name": self.name, "unit": self.unit, "decimals": self.decimals,
                "real": line(False), "demo": line(True), "end": max(ends, default=None), "targets": targets,
                "breaks": [{"at": parse_period(p).start.isoformat(), "label": label} for p, label, _ in self.breaks],
                "restated": [{"name": p, "value": [parse_period(p).start.isoformat(), v]} for p, v in self.restated]}


def time_line(points: Iterable[tuple[Period, float | None]]) -> list[dict[str, Any]]:
    """A line for an ECharts time axis: each figure at the start of its period, named by its code; where two
    figures are more than one period apart, an empty point between them, so that the line breaks there."""
    out: list[dict[str, Any]] = []
    last: Period | None = None
    for period, value in points:
        if last is not None and period.start > last.end_month.shift(1).start:
            out.append({"name": "", "value": [last.shift(1).start.isoformat(), None]})
        out.append({"name": period.code, "value": [period.start.isoformat(), value]})
        last = period
    return out


def _in_freq(p: Period, freq: Freq) -> Period:
    """The period of ``freq`` in which ``p`` ends: a deadline of 2027 is 2027-12 on a monthly chart."""
    m = p.end_month
    if freq == "month":
        return m
    return Period(m.year, "quarter", (m.index - 1) // 3 + 1) if freq == "quarter" else Period(m.year, "year")


def _periods(y: Yangfan, ind: Indicator, org_unit: str, freq: Freq, published_only: bool) -> list[Period]:
    native = y.analytics.series(ind.code, org_unit, published_only=published_only)
    if not native:
        return []
    if freq == "month" or all(p.type == freq for p in native):
        return [p for p in native if p.type == freq]
    months = [m for p in native for m in p.months()]
    first, last = min(months, key=lambda p: p.start), max(months, key=lambda p: p.start)
    wanted = {_in_freq(m, freq) for m in month_range(first, last)}
    return sorted(wanted, key=lambda p: p.start)


def _breaks(y: Yangfan, ind: Indicator, figures: list[Figure], freq: Freq, lang: Lang, s: Scale,
            published_only: bool) -> tuple[list[tuple[str, str, str]], list[tuple[str, float | None]]]:
    """Coverage changes inside the series, each with the figure before it restated on the new coverage."""
    if not figures:
        return [], []
    eras = {e for c in ind.inputs for e in y.catalog.indicators[c].scopes if e.start is not None}
    breaks, restated = [], []
    for era in sorted(eras, key=lambda e: e.start.start if e.start else figures[0].period.start):
        assert era.start is not None
        before = [f for f in figures if f.period.end_month.start < era.start.start]
        if not before or len(before) == len(figures):
            continue
        name = y.catalog.scopes[era.code]
        breaks.append((_in_freq(era.start, freq).code, TEXTS["coverage_change"][lang],
                       name.zh if lang == "zh" else name.en))
        again = on_coverage(y.analytics, before[-1], era.code, published_only)
        if again is not None and again.value is not None:
            restated.append((before[-1].period.code, s.number(again.value)))
    return breaks, restated


def _freqs(y: Yangfan, ind: Indicator, org_unit: str, published_only: bool) -> list[Freq]:
    native = {p.type for p in y.analytics.series(ind.code, org_unit, published_only=published_only)}
    if native == {"year"}:
        return ["year"]
    return ["month", "quarter", "year"] if "month" in native else [f for f in FREQS if f != "month"]


def _flags(f: Figure, lang: Lang) -> list[str]:
    names = {"lower_bound": ("下限", "floor"), "approx": ("约数", "approx."), "incomplete": ("不完整", "incomplete")}
    return [names[k][0 if lang == "zh" else 1] for k in names if getattr(f, k)]


def _provenance(y: Yangfan, figures: list[Figure], lang: Lang, published_only: bool
                ) -> dict[str, tuple[list[str], list[str]]]:
    """By period: who put each figure's stored inputs in the store and in what state they are, and every
    source page that gives those inputs (the preferred one and those that agree with it, not just the first)."""
    if not figures:
        return {}
    f0 = figures[0]
    cells = y.analytics.inputs_by_period(f0.indicator.code, f0.org_unit, tuple(f.period for f in figures),
                                         published_only=published_only)
    ids = {c.value_id for cs in cells.values() for c in cs if c.value_id is not None}
    if not ids:
        return {}
    used = {(c.indicator, c.org_unit, c.period, ""): c.value for cs in cells.values() for c in cs
            if c.origin == "reported"}
    status_zh = {"published": "已发布", "accepted": "部级已接收", "approved": "已审核", "submitted": "待审核"}
    with session_scope(y.engine) as s:
        rows = s.execute(select(DataValueRow.id, DataValueRow.status, ImportBatchRow.imported_by)
                         .join(ImportBatchRow, ImportBatchRow.id == DataValueRow.batch_id, isouter=True)
                         .where(DataValueRow.id.in_(ids))).all()
        sources = sources_of_keys(s, set(used), ("published",) if published_only else RELEASED, used)
    who = {i: f"{status_zh.get(st, st) if lang == 'zh' else st} · {by or 'system'}" for i, st, by in rows}
    return {period: (sorted({who[c.value_id] for c in cs if c.value_id in who}),
                     list(dict.fromkeys(i.url for c in cs for i in sources.get((c.indicator, c.org_unit, c.period, ""),
                                                                                  ()) if i.agrees and i.url)))
            for period, cs in cells.items()}


def _targets(y: Yangfan, ind: Indicator, lang: Lang, s: Scale) -> list[TargetLine]:
    out = []
    for t in y.catalog.targets.values():
        if t.indicator != ind.code or t.value is None:
            continue
        plan = y.catalog.plans[t.plan]
        out.append(TargetLine(t.code, plan.title_zh if lang == "zh" else plan.title_en,
                              round(t.value / s.divisor, 6), target_text(ind, t, lang),
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
    freqs = _freqs(y, ind, org_unit, published_only)
    chosen = next((f for f in freqs if f == freq), freqs[0])
    periods = _periods(y, ind, org_unit, chosen, published_only)
    figures = [f for f in y.query(Query((code,), (org_unit,), tuple(periods), published_only=published_only))
               if f.value is not None]
    provenance = _provenance(y, figures, lang, published_only)
    s = scale(ind, lang, max((abs(f.value or 0) for f in figures), default=None))
    breaks, restated = _breaks(y, ind, figures, chosen, lang, s, published_only)
    rows = []
    for f in figures:
        approvals, pages = provenance.get(f.period.code, ([], []))
        rows.append(Row(f.period.code, s.number(f.value), s.digits(f.value), f.value, f.numerator, f.denominator,
                        _flags(f, lang), f.demo, list(dict.fromkeys([*f.sources, *pages])), approvals,
                        [in_language(q, lang) for q in f.quality]))
    return IndicatorView(
        indicator=ind, name=ind.name_zh if lang == "zh" else ind.name_en,
        definition=ind.definition_zh if lang == "zh" else ind.definition_en, formula=formula(y, ind, lang),
        unit=s.unit, decimals=s.decimals, value_label=_with_unit(TEXTS["value"][lang], s.unit, lang),
        base_unit=base_unit(ind, lang), org_unit=org_unit,
        org_unit_name=unit_name(unit, lang), freq=chosen, freqs=freqs, rows=rows, targets=_targets(y, ind, lang, s),
        has_demo=any(r.demo for r in rows), breaks=breaks, restated=restated)


def table(view: IndicatorView, lang: Lang) -> tuple[list[str], list[list[Any]]]:
    """Exactly what the page's table shows, as header and rows for the CSV and XLSX downloads, with each
    figure's full-precision value and its unit beside the rounded one."""
    zh = lang == "zh"
    header = (["指标", "组织单元", "期间", _with_unit("数值", view.unit, lang), "精确值", "精确值单位", "分子", "分母",
               "标记", "质量提示", "演示数据", "来源", "审核"]
              if zh else ["indicator", "org unit", "period", _with_unit("value", view.unit, lang),
                          "full-precision value", "unit of full-precision value", "numerator", "denominator", "flags",
                          "quality notes", "demo data", "sources", "approval"])
    demo_text = ("演示数据", "") if zh else ("demo", "")
    rows = [[view.indicator.code, view.org_unit, r.period, r.value, _whole(r.exact), view.base_unit,
             _whole(r.numerator), _whole(r.denominator), "；".join(r.flags), "；".join(r.quality),
             demo_text[0] if r.demo else demo_text[1],
             " ".join(r.sources), "；".join(r.approvals)]
            for r in view.rows]
    return header, rows


def _with_unit(label: str, unit: str, lang: Lang) -> str:
    """A column's label with its unit in brackets: 数值（万个）, Value (million), Value."""
    if not unit:
        return label
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def _whole(value: float | None) -> float | int | None:
    """A whole number written as one (4251000, not 4251000.0); any other value exactly as it is."""
    return int(value) if value is not None and value.is_integer() else value


@dataclass(frozen=True, slots=True)
class LineageView:
    """A figure's lineage page: the figure, its quality notes, and its inputs depth first with their sources."""

    code: str
    name: str
    org_unit: str
    org_unit_name: str
    period: str
    value_text: str
    quality: list[str]
    rows: list[dict[str, Any]]


def lineage_view(y: Yangfan, code: str, org_unit: str, period: str, published_only: bool, lang: Lang) -> LineageView:
    """Where one figure comes from, as the page shows it (published inputs only for the public)."""
    from yangfan.analytics.lineage import lineage
    from yangfan.records import lineage_records

    q = Query.parse([code], [org_unit], [period])
    figure = y.query(Query(q.indicators, q.org_units, q.periods, published_only=published_only))[0]
    ind = figure.indicator
    rows = lineage_records(lineage(y.analytics, y.engine, figure, published_only), y.catalog)
    shown = scale(ind, lang, figure.value)
    return LineageView(code, ind.name_zh if lang == "zh" else ind.name_en, org_unit,
                       unit_name(y.tree.get(org_unit), lang), figure.period.code, shown.text(figure.value),
                       [in_language(q, lang) for q in figure.quality], rows)
