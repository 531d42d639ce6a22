"""Plain-record forms of figures and progress, shared by the CLI's json/csv/table output and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yangfan.analytics.progress import STATUS_EN, Progress
from yangfan.analytics.query import Figure
from yangfan.catalog import Catalog, Target
from yangfan.catalog.models import HORIZON_DEADLINE, PLATFORM_READING
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.registry import DEMO_SOURCE_KIND, SOURCE_KIND

if TYPE_CHECKING:  # lineage reads the store: imported where it is used
    from yangfan.analytics.lineage import Node


def _round(x: float | None, decimals: int) -> float | None:
    return None if x is None else round(x, decimals)


def figure_record(f: Figure, tree: OrgUnitTree) -> dict[str, Any]:
    """A figure as a flat record. ``value`` is in the indicator's base unit (a ratio for derived ones)."""
    ind = f.indicator
    unit = tree.get(f.org_unit)
    return {
        "indicator": ind.code,
        "name_zh": ind.name_zh,
        "name_en": ind.name_en,
        "org_unit": f.org_unit,
        "org_unit_name": unit.name_zh,
        "period": f.period.code,
        "value": f.value,
        "display_value": f.rounded(),
        "display_unit": ind.display_unit,
        "unit": ind.unit,
        "numerator": f.numerator,
        "denominator": f.denominator,
        "lower_bound": f.lower_bound,
        "approx": f.approx,
        "incomplete": f.incomplete,
        "scope": f.scope,
        "sources": list(f.sources),
        "demo": f.demo,
        "quality": list(f.quality),
    }


def lineage_records(nodes: list[Node], catalog: Catalog) -> list[dict[str, Any]]:
    """A figure's lineage as flat records, depth first: each input cell with every source that gives it."""
    out = []
    for root in nodes:
        for n in root.walk():
            c = n.cell
            ind = catalog.indicators[c.indicator]
            out.append({
                "depth": n.depth, "input": "  " * n.depth + c.indicator, "indicator": c.indicator,
                "org_unit": c.org_unit, "period": c.period, "value": c.value,
                "display_value": round(c.value / ind.display_divisor, ind.decimals + 2),
                "display_unit": ind.display_unit,
                "sign": c.sign, "origin": c.origin, "value_id": c.value_id, "lower_bound": c.lower_bound,
                "approx": c.approx, "scope": c.scope, "quality": list(c.quality),
                "sources": [s.url or s.title for s in n.sources if s.agrees],
                "alternatives": [f"{s.value / ind.display_divisor:g}{ind.display_unit} ({s.qualifier}, {s.status}) "
                                 f"{s.url or s.title}" for s in n.sources if not s.agrees],
                "notes": sorted({s.note for s in n.sources if s.note}),
                # A registry count opens into the records it took.
                "records": (f"/registry?indicator={c.indicator}&period={c.period}&org_unit={c.org_unit}"
                            if any(s.kind in (SOURCE_KIND, DEMO_SOURCE_KIND) for s in n.sources) else ""),
            })
    return out


def target_record(t: Target) -> dict[str, Any]:
    """A target as a flat record: the plan's value, or Yangfan's reading labelled as such, and its deadline's basis."""
    return {"code": t.code, "plan": t.plan, "indicator": t.indicator, "comparator": t.comparator, "value": t.value,
            "value_basis": "platform_reading" if t.platform_reading else "plan",
            "reading_zh": f"{PLATFORM_READING['zh']}：{t.reading.zh}" if t.reading else "",
            "reading_en": f"{PLATFORM_READING['en']}: {t.reading.en}" if t.reading else "",
            "deadline": t.deadline.code if t.deadline else None, "deadline_from": t.deadline_from,
            "deadline_note_zh": HORIZON_DEADLINE["zh"] if t.deadline_from == "plan" else "",
            "scope": t.scope, "clause_section": t.clause.section, "clause_quote": t.clause.quote, "note": t.note}


def progress_record(p: Progress, catalog: Catalog, tree: OrgUnitTree) -> dict[str, Any]:
    """A progress row as a flat record."""
    ind = catalog.indicators[p.target.indicator]
    latest = p.latest
    d = ind.decimals + 2
    return {
        "target": p.target.code,
        "plan": p.target.plan,
        "indicator": ind.code,
        "name_zh": ind.name_zh,
        "org_unit": p.org_unit,
        "org_unit_name": tree.get(p.org_unit).name_zh,
        "comparator": p.target.comparator,
        "target_value": p.target.value,
        "value_basis": "platform_reading" if p.target.platform_reading else "plan",
        "deadline": p.target.deadline.code if p.target.deadline else None,
        "period": latest.period.code if latest else None,
        "value": latest.value if latest else None,
        "display_value": latest.rounded() if latest else None,
        "display_unit": ind.display_unit,
        "baseline": p.baseline.value if p.baseline else None,
        "baseline_period": p.baseline.period.code if p.baseline else None,
        "value_at_deadline": p.deadline_value.value if p.deadline_value else None,
        "met_at": p.met_at.code if p.met_at else None,
        "gap": _round(p.gap, d),
        "months_left": p.months_left,
        "required_pace_per_month": _round(p.required_pace, d),
        "recent_pace_per_month": _round(p.recent_pace, d),
        "status": p.status,
        "status_zh": p.status_zh,
        "status_en": STATUS_EN[p.status],
        "uncertain": p.uncertain,
        "lower_bound": latest.lower_bound if latest else False,
        "sources": list(latest.sources) if latest else [],
        "notes": list(p.notes),
        "clause": f"{p.target.clause.section}：{p.target.clause.quote}",
    }
