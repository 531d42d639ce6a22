"""View model of the map: one indicator at one period over a parent's children, with ranks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from yangfan.analytics.query import Query
from yangfan.analytics.rank import ranks
from yangfan.context import Yangfan
from yangfan.geo.boundaries import drilldown
from yangfan.geo.orgunits import NATION
from yangfan.geo.periods import parse_period
from yangfan.web.cache import per_build
from yangfan.web.i18n import Lang, scale, unit_name, value_text

#: Indicators with sub-national values that the map and the region pages show: ratios first, then counts.
SUBNATIONAL_INDICATORS = ("bs_5g_per_10k", "users_5g_penetration", "users_5g_share", "bs_5g", "users_5g_mobile_phone",
                  "users_mobile_phone", "bs_mobile_total", "population")


#: Where a map first looks when its full extent would make the land tiny: Hainan's reaches down to
#: 3°N with 三沙; the view opens on the island (the sea is a drag or a scroll away, the table lists all).
FOCUS = {"460000": {"center": [109.8, 19.2], "zoom": 6}}


@dataclass(frozen=True, slots=True)
class MapRow:
    """One unit on the map and in the table beside it."""

    code: str
    name: str
    #: In the map's unit (``MapView.unit``), rounded to its decimals; ``text`` as the table writes it.
    value: float | None
    text: str
    rank: int | None
    demo: bool


@dataclass(frozen=True, slots=True)
class MapView:
    """The map of one indicator at one period under one parent (the nation or a province)."""

    indicator: str
    name: str
    unit: str
    decimals: int
    period: str
    periods: list[str]
    parent: str
    parent_name: str
    parent_text: str
    rows: list[MapRow]
    has_demo: bool
    choices: list[tuple[str, str]]

    def data(self) -> dict[str, Any]:
        """What the map script draws."""
        return {"indicator": self.indicator, "name": self.name, "unit": self.unit, "decimals": self.decimals,
                "period": self.period, "parent": self.parent, "rows": [asdict(r) for r in self.rows],
                "drill": self.parent == NATION, "focus": FOCUS.get(self.parent)}


@per_build
def map_view(y: Yangfan, indicator: str, period: str | None, parent: str, published_only: bool,
             lang: Lang) -> MapView:
    """Values of ``indicator`` for the children of ``parent`` at ``period`` (the latest month by default)."""
    ind = y.catalog.indicator(indicator)
    y.tree.get(parent)  # an unknown code is a 404 before any query runs
    kids = [u.code for u in drilldown(y.tree, parent)]
    a, public = y.analytics, published_only
    months = [p.code for p in a.series_any(indicator, kids or [parent], published_only=public) if p.type == "month"]
    months = months or [p.code for p in a.series(indicator, NATION, published_only=public)]
    chosen = period if period in months else (months[-1] if months else a.latest_month(public).code)
    figures = y.query(Query((indicator,), (*kids, parent), (parse_period(chosen),), published_only=published_only))
    by_unit = {f.org_unit: f for f in figures}
    ranked = ranks(f for f in figures if f.org_unit != parent)

    def name(code: str) -> str:
        return unit_name(y.tree.get(code), lang)

    s = scale(ind, lang, max((abs(by_unit[c].value or 0) for c in kids), default=None))
    rows = [MapRow(c, name(c), s.number(by_unit[c].value), s.digits(by_unit[c].value), ranked.get(c), by_unit[c].demo)
            for c in kids]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0))
    return MapView(
        indicator=indicator, name=ind.name_zh if lang == "zh" else ind.name_en,
        unit=s.unit, decimals=s.decimals, period=chosen, periods=months[::-1], parent=parent,
        parent_name=name(parent), parent_text=value_text(ind, by_unit[parent].value, lang), rows=rows,
        has_demo=any(r.demo for r in rows),
        choices=[(c, y.catalog.indicators[c].name_zh if lang == "zh" else y.catalog.indicators[c].name_en)
                 for c in SUBNATIONAL_INDICATORS if c in y.catalog.indicators])
