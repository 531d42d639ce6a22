"""扬帆之城评价 as JSON: the cities ranked with their rank intervals, the audit of the method, and the outlines of
every prefecture-level city in one map layer."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from fastapi import APIRouter, Request, Response
from shapely.geometry import mapping

from yangfan.context import Yangfan
from yangfan.geo import boundaries
from yangfan.geo.orgunits import NATION, get_tree
from yangfan.web.auth import PrincipalDep
from yangfan.web.cache import per_build
from yangfan.web.deps import YangfanDep
from yangfan.web.evaluation import evaluation, finite
from yangfan.web.responses import PRIVATE, Encoded, encode, encoded_bytes, respond

router = APIRouter(tags=["city evaluation"])
#: Decimal places of the city layer: 1e-3° ≈ 100 m, far below a pixel of a map of the nation.
LAYER_DIGITS = 3


def _private(published_only: bool) -> dict[str, str] | None:
    """The ministry's answers (approved figures not yet published) stay out of shared caches."""
    return None if published_only else {"Cache-Control": PRIVATE}


@per_build
def _ranking(y: Yangfan, published_only: bool) -> Encoded:
    e = evaluation(y, published_only)
    return encode({"meta": e.meta(), "cities": [c.as_dict() for c in e.cities]})


@per_build
def _audit(y: Yangfan, published_only: bool) -> Encoded:
    e = evaluation(y, published_only)
    payload: dict[str, Any] = {
        "meta": e.meta(),
        "effective": [{"indicator": w["indicator"], "pillar": w["pillar"], "nominal": finite(w["nominal"], 6),
                       "effective": finite(w["effective"], 6), "raw": finite(w["raw"], 6)} for w in e.effective],
        "correlation": {"codes": e.correlation_codes, "flags": e.correlation_flags,
                        "matrix": [[finite(x, 3) for x in row] for row in e.correlation_matrix]},
        "sensitivity": [{"choice": d, "mean_abs_rank_shift": finite(s, 3)} for d, s in e.sensitivity],
        "outliers": e.outliers, "runs": e.runs, "seed": e.seed}
    return encode(payload)


@router.get("/evaluate", summary="City evaluation: cities ranked, with rank intervals / 扬帆之城评价排名")
def get_evaluation(request: Request, y: YangfanDep, principal: PrincipalDep) -> Response:
    """Every prefecture-level city in rank order: score (0–100), rank, the 5th–95th percentile interval and the
    median of its rank over the Monte Carlo runs, pillar scores, key city (U13); ``meta`` names the method, its
    state (``published``), the runs and seed, demo data and the indicators left out for lack of data. The public
    reads the run on published figures, ministry roles the run on approved ones too."""
    public = principal.published_only
    return respond(request, _ranking(y, public), _private(public))


@router.get("/evaluate/audit", summary="City evaluation: audit of the method / 扬帆之城评价方法审计")
def get_audit(request: Request, y: YangfanDep, principal: PrincipalDep) -> Response:
    """Effective against nominal weights, the indicators' correlation matrix and its flags, the sensitivity of
    the ranks to each choice (mean |rank shift|), the winsorised values, and the Monte Carlo's runs and seed."""
    public = principal.published_only
    return respond(request, _audit(y, public), _private(public))


@router.get("/evaluate/boundaries", summary="Outlines of every prefecture-level city (GeoJSON) / 全国地级市边界",
            responses={200: {"content": {"application/geo+json": {}}}})
def get_city_layer(request: Request, y: YangfanDep) -> Response:
    """The prefecture-level cities of all provinces and the four municipalities in one FeatureCollection, simplified
    for a map of the nation; Taiwan, Hong Kong, Macao and the South China Sea dashed line as on the nation's map.
    Properties as in ``/boundaries/{code}``."""
    maps_dir = y.settings.maps_dir
    try:
        stamp = (maps_dir / boundaries.STAMP).read_bytes()
    except OSError:
        stamp = b""
    return respond(request, _city_layer(maps_dir, stamp), {"Cache-Control": "public, max-age=3600"},
                   media_type="application/geo+json")


@lru_cache(maxsize=2)
def _city_layer(maps_dir: Path, _stamp: bytes) -> Encoded:
    """The layer, built from the cached maps once per process (and again when they are rebuilt: ``_stamp``)."""
    tree = get_tree()
    nation = json.loads(boundaries.load(NATION, maps_dir, tree))
    # The nation's map gives the municipalities and what lies outside the tree; each province's, its cities.
    groups = [[f for f in nation["features"]
               if not f["properties"]["in_tree"] or tree.units[f["properties"]["code"]].is_city]]
    groups += [[f for f in json.loads(boundaries.load(u.code, maps_dir, tree))["features"] if f["properties"]["code"]]
               for u in tree.at_level(1) if not u.is_city]
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in nation["features"]])
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    tolerance = max(x1 - x0, y1 - y0) * boundaries.DETAIL
    features = []
    for group in groups:
        shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in group])
        # (Multi)polygons are simplified together, so that shared borders stay shared; the dashed line alone.
        areas = np.isin(shapely.get_type_id(shapes), (3, 6))
        if areas.any():
            shapes[areas] = shapely.coverage_simplify(shapes[areas], tolerance)
        shapes = shapely.transform(shapes, lambda xy: np.round(xy, LAYER_DIGITS))
        features += [{"type": "Feature", "properties": f["properties"], "geometry": mapping(g)}
                     for f, g in zip(group, shapes, strict=True)]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    return encoded_bytes(body.encode("utf-8"))
