"""The evaluation's inputs: one value per prefecture-level city and indicator, from the analytics (approved or
published data values) and the registries, at the evaluation year's end (``data/inputs.yaml`` says what each
indicator reads). An indicator too few cities have is left out of the year's run, and the run says so."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict

from yangfan.analytics.query import Query
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.evaluate.composite import Table
from yangfan.evaluate.method import Method
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period
from yangfan.registry.counts import Counted, records
from yangfan.store.db import session_scope

DATA = Path(__file__).parent / "data" / "inputs.yaml"


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    catalog: str | None = None
    registry: str | None = None
    categories: tuple[str, ...] = ()
    #: Further registry kinds counted with ``registry`` (security benchmarks and atomic capabilities).
    also: tuple[str, ...] = ()
    per: float | None = None


class Inputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min_coverage: float
    inputs: dict[str, Input]


def load_inputs(path: Path = DATA) -> Inputs:
    return Inputs.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Gathered:
    """The table of one year's run, the method reduced to the indicators with enough data, and what was left out."""

    year: int
    method: Method
    table: Table
    names: dict[str, str]
    left_out: list[tuple[str, float]] = field(default_factory=list)
    demo: bool = False


def city_of(tree: OrgUnitTree, code: str) -> str | None:
    """The prefecture-level city (or municipality) a place lies in, itself when it is one."""
    if code not in tree.units:
        return None
    for c in [code, *tree.ancestors(code)]:
        if tree.units[c].is_city:
            return c
    return None


def registry_counts(found: list[Counted], tree: OrgUnitTree, kinds: tuple[str, ...], categories: tuple[str, ...],
                    day: date) -> Counter[str]:
    """Records of these kinds (and categories) counted on ``day``, per city."""
    out: Counter[str] = Counter()
    for r in found:
        if r.kind in kinds and (not categories or r.category in categories) and r.valid_from <= day \
                and (r.valid_to is None or r.valid_to >= day):
            city = city_of(tree, r.org_unit)
            if city is not None:
                out[city] += 1
    return out


def gather(y: Yangfan, method: Method, year: int | None = None, published_only: bool = False) -> Gathered:
    """Every city's value of every indicator of ``method`` for ``year`` (the method's own by default)."""
    spec = load_inputs()
    year = year or method.year
    missing = [i.code for i in method.indicators if i.code not in spec.inputs]
    if missing:
        raise YangfanError.single("evaluate.inputs", f"评价指标 {'、'.join(missing)} 没有取数规则（inputs.yaml）",
                                  f"no input rule for {', '.join(missing)} (inputs.yaml)")
    cities = [u.code for u in y.tree.cities()]
    day, period = date(year, 12, 31), Period(year, "year")
    catalog_codes = sorted({i.catalog for i in spec.inputs.values() if i.catalog} | {"population"})
    figures = y.query(Query(tuple(catalog_codes), tuple(cities), (period,), published_only=published_only))
    got = {(f.indicator.code, f.org_unit): f.value for f in figures if f.value is not None}
    demo = any(f.demo for f in figures if f.value is not None)
    with session_scope(y.engine) as s:
        found = records(s)
    demo = demo or any(r.demo for r in found)
    columns = []
    for ind in method.indicators:
        rule = spec.inputs[ind.code]
        if rule.catalog:
            col = [got.get((rule.catalog, c), np.nan) for c in cities]
        else:
            assert rule.registry is not None
            n = registry_counts(found, y.tree, (rule.registry, *rule.also), rule.categories, day)
            col = [float(n[c]) for c in cities]
        if rule.per:
            col = [v / got[("population", c)] * rule.per if got.get(("population", c)) else np.nan
                   for v, c in zip(col, cities, strict=True)]
        columns.append(col)
    values = np.array(columns, dtype=float).T
    coverage = (~np.isnan(values)).mean(axis=0)
    keep = [k for k, share in enumerate(coverage) if share >= spec.min_coverage]
    left_out = [(method.indicators[k].code, float(coverage[k])) for k in range(len(coverage)) if k not in keep]
    kept = _reduced(method, [method.indicators[k].code for k in keep])
    table = Table(cities, [i.code for i in kept.indicators], values[:, keep])
    return Gathered(year, kept, table, {c: y.tree.units[c].name_zh for c in cities}, left_out, demo)


def _reduced(method: Method, codes: list[str]) -> Method:
    """The method with only ``codes`` (a pillar left without indicators is dropped, its weight shared out)."""
    if len(codes) == len(method.indicators):
        return method
    indicators = tuple(i for i in method.indicators if i.code in codes)
    pillars = [p for p in method.pillars if any(i.pillar == p.code for i in indicators)]
    total = sum(p.weight for p in pillars)
    return replace(method, indicators=indicators, pillars=tuple(replace(p, weight=p.weight / total) for p in pillars))
