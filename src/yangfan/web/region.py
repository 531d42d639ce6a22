"""View model of a region page: one province or city against the nation and its peers, and its progress."""

from __future__ import annotations

from dataclasses import dataclass

from yangfan.analytics.query import Figure, Query
from yangfan.analytics.rank import ranks
from yangfan.context import Yangfan
from yangfan.geo.orgunits import NATION, OrgUnit
from yangfan.web.cache import per_build
from yangfan.web.cockpit import status_text
from yangfan.web.i18n import Lang, target_text, unit_name, value_text
from yangfan.web.mapview import SUBNATIONAL_INDICATORS


@dataclass(frozen=True, slots=True)
class Comparison:
    """One indicator at the unit beside the nation, with the unit's rank among its peers."""

    indicator: str
    name: str
    period: str
    value: str
    national: str
    relative: float | None
    rank: int | None
    peers: int
    demo: bool


@dataclass(frozen=True, slots=True)
class TargetRow:
    """A target of the plan measured at this unit."""

    code: str
    name: str
    target: str
    latest: str
    period: str
    share: float | None
    status: str
    status_text: str
    demo: bool


@dataclass(frozen=True, slots=True)
class RegionView:
    """Everything the region page shows."""

    unit: OrgUnit
    name: str
    parent: OrgUnit | None
    peers_label: str
    comparisons: list[Comparison]
    targets: list[TargetRow]
    children: list[tuple[str, str]]
    has_demo: bool


def _peers(y: Yangfan, unit: OrgUnit) -> list[str]:
    """Units of the same level across the nation: provinces among provinces, cities among cities."""
    return [u.code for u in y.tree.at_level(unit.level or 1) if u.is_place]


def _comparison(y: Yangfan, code: str, unit: OrgUnit, peers: list[str], published_only: bool,
                lang: Lang) -> Comparison | None:
    months = [p for p in y.analytics.series(code, unit.code, published_only=published_only) if p.type == "month"]
    if not months:
        return None
    period = months[-1]
    figures = y.query(Query((code,), (*peers, NATION), (period,), published_only=published_only))
    by_unit: dict[str, Figure] = {f.org_unit: f for f in figures}
    mine, nation = by_unit.get(unit.code), by_unit.get(NATION)
    if mine is None or mine.value is None:
        return None
    ranked = ranks(f for u, f in by_unit.items() if u != NATION)
    ind = y.catalog.indicators[code]
    per_capita = ind.kind == "derived"
    relative = mine.value / nation.value if per_capita and nation and nation.value else None
    national = value_text(ind, nation.value if nation else None, lang)
    return Comparison(code, ind.name_zh if lang == "zh" else ind.name_en, period.code,
                      value_text(ind, mine.value, lang), national, relative, ranked.get(unit.code), len(ranked),
                      mine.demo)


@per_build
def region_view(y: Yangfan, code: str, published_only: bool, lang: Lang) -> RegionView:
    """The page of one province or city."""
    unit = y.tree.get(code)
    peers = _peers(y, unit)
    comparisons = [c for c in (_comparison(y, i, unit, peers, published_only, lang) for i in SUBNATIONAL_INDICATORS
                               if i in y.catalog.indicators) if c is not None]
    targets = []
    for p in y.progress("sailing-2024", [code], published_only):
        if p.latest is None:
            continue
        ind = y.catalog.indicators[p.target.indicator]
        targets.append(TargetRow(p.target.code, ind.name_zh if lang == "zh" else ind.name_en,
                                 target_text(ind, p.target, lang), value_text(ind, p.latest.value, lang),
                                 p.latest.period.code, p.share_of_target, p.status,
                                 status_text(p, lang), p.latest.demo))
    parent = y.tree.get(unit.parent) if unit.parent else None
    kids = [y.tree.get(c) for c in y.tree.children.get(code, [])]
    return RegionView(unit, unit_name(unit, lang), parent,
                      {1: "31个省级单位", 2: "全国地市级单位"}.get(unit.level or 1, "") if lang == "zh"
                      else {1: "the 31 provinces", 2: "all prefecture-level units"}.get(unit.level or 1, ""),
                      comparisons, targets, [(k.code, unit_name(k, lang)) for k in kids if k.is_place],
                      any(c.demo for c in comparisons) or any(t.demo for t in targets))

