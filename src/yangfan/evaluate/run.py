"""One year's 扬帆之城 evaluation, whole: inputs, index, rank intervals, effective weights, correlations and
sensitivity, as plain records for the CLI, the API and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from yangfan.context import Yangfan
from yangfan.evaluate.audit import correlations, effective_weights, sensitivity, uncertainty
from yangfan.evaluate.composite import compute
from yangfan.evaluate.inputs import Gathered, gather
from yangfan.evaluate.method import load_method
from yangfan.registry.demo import KEY_CITIES_2024


@dataclass(frozen=True)
class CityResult:
    """One city's result: score, rank and its interval, pillar scores, strengths and weaknesses."""

    org_unit: str
    name: str
    score: float
    rank: int
    rank_median: int
    rank_p5: int
    rank_p95: int
    pillars: dict[str, float]
    strengths: list[str]
    weaknesses: list[str]
    values: dict[str, float | None]
    normalised: dict[str, float]
    imputed: list[str]
    designated: bool

    def as_dict(self) -> dict[str, Any]:
        return {"org_unit": self.org_unit, "name": self.name, "score": round(self.score, 3), "rank": self.rank,
                "rank_median": self.rank_median, "rank_p5": self.rank_p5, "rank_p95": self.rank_p95,
                "pillars": {k: round(v, 3) for k, v in self.pillars.items()}, "strengths": self.strengths,
                "weaknesses": self.weaknesses, "designated": self.designated, "imputed": self.imputed}


@dataclass(frozen=True)
class Evaluation:
    """A run: the method (version), the cities in rank order, and the audit."""

    gathered: Gathered
    cities: list[CityResult]
    effective: list[dict[str, Any]]
    correlation_flags: list[dict[str, str]]
    correlation_codes: list[str]
    correlation_matrix: list[list[float]]
    sensitivity: list[tuple[str, float]]
    outliers: dict[str, list[str]]
    runs: int
    seed: int

    @property
    def method(self) -> Any:
        return self.gathered.method

    def meta(self) -> dict[str, Any]:
        m = self.gathered.method
        return {"method_version": m.version, "year": self.gathered.year, "title_zh": m.title_zh,
                "title_en": m.title_en, "published": m.published, "runs": self.runs, "seed": self.seed,
                "demo": self.gathered.demo, "left_out": [{"indicator": c, "coverage": round(s, 3)}
                                                         for c, s in self.gathered.left_out]}


def designated_cities(y: Yangfan) -> set[str]:
    """The cities the plan tracks as a group (U13): the recognised key and scale-development cities in the
    registry, else the 2024 key cities."""
    from sqlalchemy import select

    from yangfan.store.db import session_scope
    from yangfan.store.models import RegistryRecordRow

    with session_scope(y.engine) as s:
        codes = set(s.scalars(select(RegistryRecordRow.org_unit_code).where(
            RegistryRecordRow.kind == "city", RegistryRecordRow.category.in_(("yangfan_key", "scale_development")),
            RegistryRecordRow.status == "recognised")))
    if codes:
        return codes
    by_name = {u.name_zh: u.code for u in y.tree.cities()}
    return {by_name[n] for n in KEY_CITIES_2024}


def evaluate(y: Yangfan, year: int | None = None, published_only: bool = False, runs: int | None = None
             ) -> Evaluation:
    """Run the method of ``year`` (the latest when None) on the data of its year."""
    method = load_method(year)
    g = gather(y, method, published_only=published_only)
    m, table = g.method, g.table
    result = compute(m, table)
    u = uncertainty(m, table, runs=runs)
    sens = sensitivity(m, table, runs=min(runs or m.uncertainty.runs, 200))
    cors = correlations(result)
    designated = designated_cities(y)
    pillar_codes = [p.code for p in m.pillars]
    cities = []
    for i, unit in enumerate(table.units):
        cities.append(CityResult(
            unit, g.names[unit], float(result.scores[i]), int(result.ranks[i]), int(u.median[i]), int(u.p5[i]),
            int(u.p95[i]), {p: float(result.pillars[i, k]) for k, p in enumerate(pillar_codes)},
            list(result.strengths[i]), list(result.weaknesses[i]),
            {c: None if np.isnan(table.values[i, k]) else float(table.values[i, k]) for k, c in enumerate(table.codes)},
            {c: float(result.normalised[i, k]) for k, c in enumerate(table.codes)},
            [c for k, c in enumerate(table.codes) if result.imputed[i, k]], unit in designated))
    cities.sort(key=lambda c: (c.rank, c.org_unit))
    effective = [{"indicator": e.code, "pillar": e.pillar, "nominal": e.nominal, "effective": e.effective,
                  "raw": e.raw} for e in effective_weights(result)]
    flags = [{"zh": f.message_zh, "en": f.message_en} for f in cors.flags]
    return Evaluation(g, cities, effective, flags, list(cors.codes), cors.matrix.round(3).tolist(),
                      [(str(d), float(s)) for d, s in sens], dict(result.outliers), u.runs, u.seed)
