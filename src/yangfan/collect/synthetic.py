"""Demo figures for provinces and prefecture-level units (演示数据), consistent with the published totals.

MIIT publishes national and regional figures, not provincial or city ones. So that the map, the
region pages and the rankings have something to show, the demo apportions each published total
down the tree: the nation's figure to the four MIIT regions (a region's own published figure
wins; the others share what it leaves), each region's to its provinces, each province's to its
prefecture-level units (and the county-level units under the placeholders 市辖区 and 省直辖县级行政区划,
which the map shows in their place). The weights are resident population (the 2020 census, real where it is
known) times a fixed random factor per unit that drifts slowly over the years, so that ranks
differ between indicators and move a little over time. A total that contains a part (all base
stations ⊇ 5G base stations, mobile users ⊇ 5G users) is apportioned mostly like its part, so the
part never exceeds it anywhere. Shares are whole units (largest remainder), so parts add up to
their total exactly.

Every value is stored under one source of kind ``demo``: every figure computed from one carries
the demo flag and is labelled 演示数据 wherever it shows. Published figures are never replaced:
only units and periods without a reported value get one.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping
from datetime import date

from yangfan.analytics.query import Analytics, Cell
from yangfan.geo.orgunits import NATION, OrgUnitTree
from yangfan.geo.periods import parse_period
from yangfan.store.values import NewValue, Qualifier

DEMO_KIND = "demo"
SOURCE_TITLE = ("演示数据：按人口与随机权重分摊公布的全国和地区总量，不是统计数据 / "
                "demo data: published national and regional totals apportioned by population and random "
                "weights; not statistics")
REGIONS = ("east", "central", "west", "northeast")
#: Apportioned indicators, each with the part it contains (apportioned first) or None.
APPORTIONED: dict[str, str | None] = {
    "bs_5g": None, "users_5g_mobile_phone": None,
    "bs_mobile_total": "bs_5g", "users_mobile_phone": "users_5g_mobile_phone",
}
#: Standard deviation of a unit's log factor: base stations vary more than users per head. ``share`` is
#: the log odds of a unit's share of a part in its whole: 0.1 spreads a 60% share over about ±5 points.
SPREAD = {"bs": 0.2, "users": 0.06, "share": 0.1}
EPOCH, SPAN_DAYS = date(2019, 1, 1), 9 * 365


def _factor(key: str, when: float) -> float:
    """A unit's random weight for one kind of indicator: fixed per key, drifting linearly over the years."""
    rng = random.Random(key)  # seeded by text: the same numbers in every run and on every machine
    spread = SPREAD[key.split(":")[0]]
    level, drift = rng.gauss(0, spread), rng.gauss(0, spread / 2)
    return math.exp(level + drift * (when - 0.5))


def apportion(total: float, weights: Mapping[str, float]) -> dict[str, float]:
    """Split ``total`` by ``weights``; a whole-number total into whole numbers that add up to it exactly."""
    wsum = sum(weights.values())
    raw = {k: total * w / wsum for k, w in weights.items()}
    if total != int(total):
        return raw
    floors = {k: math.floor(v) for k, v in raw.items()}
    left = int(total) - sum(floors.values())
    for k in sorted(raw, key=lambda k: (floors[k] - raw[k], k))[:left]:
        floors[k] += 1
    return {k: float(v) for k, v in floors.items()}


class _Apportioner:
    def __init__(self, analytics: Analytics, tree: OrgUnitTree) -> None:
        self.analytics, self.tree = analytics, tree
        self.provinces = [u.code for u in tree.at_level(1)]
        self.children = {p: list(tree.children.get(p, [])) for p in self.provinces}
        self.level2 = [c for p in self.provinces for c in self.children[p]]
        census = analytics.reported("population_census", self.provinces + self.level2)
        self.population = {p: census[(p, "2020")].value for p in self.provinces}
        self.city_census = {ou: c.value for (ou, _), c in census.items() if ou not in self.population}

    def _city_weights(self, province: str, kind: str, when: float) -> dict[str, float]:
        """Shares of a province's units: population (the census where known, else by county count, the
        capital heavier), times each unit's random factor for all but population itself."""
        kids = self.children[province]
        known = {c: self.city_census[c] / self.population[province] for c in kids if c in self.city_census}
        others = {c: max(len(self.tree.children.get(c, [])), 1) * (1.6 if c[2:] == "0100" else 1.0)
                  for c in kids if c not in known}
        rest, osum = max(1.0 - sum(known.values()), 0.0), sum(others.values())
        people = known | {c: rest * w / osum for c, w in others.items()}
        if kind == "population":
            return people
        weights = {c: w * _factor(f"{kind}:{c}", when) for c, w in people.items()}
        wsum = sum(weights.values())
        return {c: w / wsum for c, w in weights.items()}

    def _placeholders(self, values: Mapping[str, float], kind: str, when: float) -> dict[str, float]:
        """The county-level units under 市辖区 and 省直辖县级行政区划 (which have no area of their own,
        so the map shows these units instead): equal shares times their random factor."""
        out: dict[str, float] = {}
        for c, kids in self._placeholder_kids():
            out |= apportion(values[c], {k: 1.0 if kind == "population" else _factor(f"{kind}:{k}", when)
                                         for k in kids})
        return out

    def _placeholder_kids(self) -> Iterable[tuple[str, list[str]]]:
        for c in self.level2:
            if self.tree.get(c).kind == "placeholder" and self.tree.children.get(c):
                yield c, list(self.tree.children[c])

    def _province_weights(self, kind: str, when: float) -> dict[str, float]:
        return {p: self.population[p] * _factor(f"{kind}:{p}", when) for p in self.provinces}

    def _by_region(self, total: float, regional: Mapping[str, Cell], weights: Mapping[str, float]) -> dict[str, float]:
        """Provinces' shares of the nation: regions' published figures first, the rest by weight."""
        members = {g: self.tree.groups[g].members for g in REGIONS}
        known = {g: regional[g].value for g in REGIONS if g in regional}
        unknown = [g for g in REGIONS if g not in known]
        rest = total - sum(known.values())
        if unknown and rest > 0:
            known |= apportion(rest, {g: sum(weights[p] for p in members[g]) for g in unknown})
        elif unknown:  # the published regions exceed the nation (rounding): the others by weight alone
            known |= {g: total * sum(weights[p] for p in members[g]) / sum(weights.values()) for g in unknown}
        out: dict[str, float] = {}
        for g, value in known.items():
            out |= apportion(value, {p: weights[p] for p in members[g]})
        return out

    def indicator(self, code: str, part: dict[str, dict[str, float]] | None) -> dict[str, dict[str, float]]:
        """Values by period and unit (provinces and their children) for one apportioned indicator."""
        kind = code.split("_")[0]
        nation = self.analytics.reported(code, [NATION])
        regional = self.analytics.reported(code, REGIONS)
        out: dict[str, dict[str, float]] = {}
        for (_, period), total in sorted(nation.items()):
            when = (parse_period(period).end_month.start - EPOCH).days / SPAN_DAYS
            of_part = (part or {}).get(period)
            if of_part:
                out[period] = self._whole(code, total.value, of_part, when)
                continue
            values = self._by_region(total.value, {g: c for (g, per), c in regional.items() if per == period},
                                     self._province_weights(kind, when))
            for p in self.provinces:
                values |= apportion(values[p], self._city_weights(p, kind, when))
            values |= self._placeholders(values, kind, when)
            out[period] = values
        return out

    def _whole(self, code: str, total: float, part: Mapping[str, float], when: float) -> dict[str, float]:
        """A whole that contains a part, at every unit: the part plus a share of the rest of the whole.

        The rest (4G and older users, base stations other than 5G) goes down the tree by the part over
        each unit's random factor on the odds of its share, so every unit has a share of its own that
        drifts slowly, and a unit's whole is never less than its part."""
        def weights(units: list[str]) -> dict[str, float]:
            w = {u: part[u] / _factor(f"share:{code}:{u}", when) for u in units}
            return w if sum(w.values()) > 0 else {u: 1.0 for u in units}  # no part yet: the rest evenly

        rest = apportion(total - sum(part[p] for p in self.provinces), weights(self.provinces))
        for parent, kids in [*self.children.items(), *self._placeholder_kids()]:
            rest |= apportion(rest[parent], weights(kids))
        return {u: part[u] + r for u, r in rest.items()}

    def population_values(self) -> dict[str, dict[str, float]]:
        """Year-end population: provinces' published figures first, the rest of the nation by census share."""
        real = self.analytics.reported("population", self.provinces + self.level2)
        out: dict[str, dict[str, float]] = {}
        for (_, year), total in sorted(self.analytics.reported("population", [NATION]).items()):
            known = {p: real[(p, year)].value for p in self.provinces if (p, year) in real}
            others = {p: self.population[p] for p in self.provinces if p not in known}
            values = known | apportion(total.value - sum(known.values()), others)
            for p in self.provinces:
                values |= apportion(values[p], self._city_weights(p, "population", 0.0))
            values |= self._placeholders(values, "population", 0.0)
            out[year] = {u: v for u, v in values.items() if (u, year) not in real}
        return out


def _rows(code: str, by_period: Mapping[str, Mapping[str, float]], totals: Mapping[tuple[str, str], Cell]
          ) -> Iterable[NewValue]:
    for period, values in by_period.items():
        total = totals[(NATION, period)]
        qualifier: Qualifier = "lower_bound" if total.lower_bound else "approx" if total.approx else "exact"
        for unit, value in values.items():
            yield NewValue(code, unit, period, value, qualifier=qualifier, scope=total.scope,
                           source_kind=DEMO_KIND, source_title=SOURCE_TITLE)


def demo_values(analytics: Analytics, tree: OrgUnitTree) -> list[NewValue]:
    """Demo values for every province and prefecture-level unit, from the published totals in ``analytics``."""
    a = _Apportioner(analytics, tree)
    rows: list[NewValue] = []
    done: dict[str, dict[str, dict[str, float]]] = {}
    for code, part in APPORTIONED.items():
        done[code] = a.indicator(code, done[part] if part else None)
        rows.extend(_rows(code, done[code], analytics.reported(code, [NATION])))
    rows.extend(_rows("population", a.population_values(), analytics.reported("population", [NATION])))
    return rows


def fingerprint(values: Iterable[NewValue]) -> str:
    """Identity of a generated batch (the demo's values, the completeness counts): the same figures give the same
    batch, stored once."""
    h = hashlib.sha256()
    for v in values:
        h.update(f"{v.indicator}|{v.org_unit}|{v.period}|{v.value!r}|{v.qualifier}|{v.scope}\n".encode())
    return h.hexdigest()
