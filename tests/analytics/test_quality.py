"""Consistency checks at every rebuild: a doubtful input carries a quality note into every figure made from it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from yangfan.analytics.cube import build_cube
from yangfan.analytics.export import FACT_SCHEMA
from yangfan.analytics.query import Analytics, Query
from yangfan.catalog import get_catalog
from yangfan.geo.orgunits import NATION, get_tree
from yangfan.geo.periods import parse_period

CATALOG = get_catalog()
TREE = get_tree()
YI, WAN = 100_000_000, 10_000


def build(tmp_path: Path, rows: list[tuple[str, str, str, float]], qualifiers: dict[int, str] | None = None,
          alternatives: dict[int, str] | None = None) -> Analytics:
    """A build of these values, each preferred unless ``alternatives`` names it (with its status) as another
    source's value for a key that has a preferred one."""
    n = len(rows)
    alt = alternatives or {}
    facts = pa.table({
        "value_id": list(range(1, n + 1)), "indicator": [r[0] for r in rows], "org_unit": [r[1] for r in rows],
        "period": [r[2] for r in rows], "disagg": [""] * n, "value": [float(r[3]) for r in rows],
        "qualifier": [(qualifiers or {}).get(i, "exact") for i in range(n)], "scope": [""] * n,
        "source_id": [2 if i in alt else 1 for i in range(n)], "status": [alt.get(i, "published") for i in range(n)],
        "preferred": [i not in alt for i in range(n)], "priority": [0] * n}, schema=FACT_SCHEMA)
    sources = pa.table({"id": [1, 2], "kind": ["published"] * 2, "url": ["http://example.org/x", "http://example.org/y"],
                        "title": ["t", "u"]})
    path = tmp_path / f"a{len(list(tmp_path.glob('*.duckdb')))}.duckdb"  # one file per build: DuckDB caches by path
    build_cube(facts, sources, path, CATALOG, TREE)
    return Analytics(path, CATALOG, TREE)


def figure(a: Analytics, indicator: str, period: str, unit: str = NATION):  # type: ignore[no-untyped-def]
    return a.run(Query.parse([indicator], [unit], [period]))[0]


# The 2024-06 case: regions' 5G users and their published shares of all users imply ≈17.68亿 users in all,
# the national figure as re-published says 17.77亿.
REGIONS_2024_06 = [("east", 4.06, 52.9), ("central", 2.19, 52.9), ("west", 2.41, 52.0), ("northeast", 0.61, 49.5)]


def _regional(users_total: float) -> list[tuple[str, str, str, float]]:
    rows = [("users_mobile_phone", NATION, "2024-06", users_total * YI), ("population", NATION, "2023", 140_967 * WAN)]
    for region, users_5g, share in REGIONS_2024_06:
        rows += [("users_5g_mobile_phone", region, "2024-06", users_5g * YI),
                 ("users_5g_share_published", region, "2024-06", share)]
    return rows


def test_a_total_the_regions_contradict_is_flagged_and_the_flag_follows_its_ratios(tmp_path: Path) -> None:
    a = build(tmp_path, _regional(17.77))
    f = figure(a, "users_mobile_phone", "2024-06")
    assert len(f.quality) == 1 and "17.68亿户" in f.quality[0] and "四大地区" in f.quality[0]
    ratio = figure(a, "mobile_penetration_per_100", "2024-06")
    assert ratio.value is not None and ratio.quality == f.quality
    assert [c.quality for c in a.inputs(ratio) if c.indicator == "users_mobile_phone"] == [f.quality]


def test_a_total_within_rounding_of_the_regions_is_not_flagged(tmp_path: Path) -> None:
    assert figure(build(tmp_path, _regional(17.68)), "users_mobile_phone", "2024-06").quality == ()


def test_the_nation_against_the_sum_of_its_regions(tmp_path: Path) -> None:
    rows = [("bs_5g", r, "2024-06", v * WAN) for r, v in (("east", 174.1), ("central", 88.7), ("west", 104.3),
                                                           ("northeast", 24.5))]
    good = build(tmp_path, [*rows, ("bs_5g", NATION, "2024-06", 391.7 * WAN)])
    assert figure(good, "bs_5g", "2024-06").quality == ()
    bad = build(tmp_path, [*rows, ("bs_5g", NATION, "2024-06", 399.7 * WAN)])
    assert "391.6万个" in figure(bad, "bs_5g", "2024-06").quality[0]


def test_a_part_above_its_whole_flags_both(tmp_path: Path) -> None:
    a = build(tmp_path, [("bs_5g", "440000", "2025-06", 900_000), ("bs_mobile_total", "440000", "2025-06", 800_000)])
    assert figure(a, "bs_5g", "2025-06", "440000").quality and figure(a, "bs_mobile_total", "2025-06", "440000").quality
    share = figure(a, "bs_5g_share", "2025-06", "440000")
    assert share.value is not None and any("部分大于整体" in q for q in share.quality)


def test_a_jump_and_a_fall_against_the_trend(tmp_path: Path) -> None:
    rows = [("bs_5g", "440000", f"2024-{m:02d}", 100_000 + m * 1_000) for m in range(1, 13)]
    rows += [("bs_5g", "440000", "2025-01", 1_100_000),  # ten times the month before
             ("bs_5g", "440000", "2025-02", 112_000), ("bs_5g", "440000", "2025-03", 100_000)]  # then a fall
    a = build(tmp_path, rows)
    assert "+882%" in figure(a, "bs_5g", "2025-01", "440000").quality[0]
    assert any("下降" in q for q in figure(a, "bs_5g", "2025-03", "440000").quality)
    assert figure(a, "bs_5g", "2024-12", "440000").quality == ()


def test_a_fall_within_rounding_or_from_a_lower_bound_is_not_flagged(tmp_path: Path) -> None:
    rows = [("users_mobile_phone", NATION, "2024-11", 17.90 * YI),
            ("users_mobile_phone", NATION, "2025-11", 18.28 * YI),
            ("users_mobile_phone", NATION, "2025-12", 18.27 * YI),  # a real decline of 0.01亿 (shared data §9)
            ("bs_5g", NATION, "2026-04", 500.9 * WAN), ("bs_5g", NATION, "2026-05", 500 * WAN)]  # 2026-05: 超500万
    a = build(tmp_path, rows, qualifiers={4: "lower_bound"})
    assert figure(a, "users_mobile_phone", "2025-12").quality == ()
    assert figure(a, "bs_5g", "2026-05").quality == ()


def test_a_status_decided_within_rounding_and_the_population_year_says_so(tmp_path: Path) -> None:
    from yangfan.analytics.progress import assess, uncertainty

    cat = CATALOG
    plan, target = cat.plans["sailing-2024"], cat.targets["U01"]
    rows = [("users_5g_mobile_phone", NATION, "2026-04", 11.98 * YI),
            ("users_5g_mobile_phone", NATION, "2025-04", 10.9 * YI),
            ("population", NATION, "2024", 140_828 * WAN), ("population", NATION, "2025", 140_900 * WAN)]
    a = build(tmp_path, rows)
    p = assess(a, plan, target, NATION, parse_period("2026-04"))
    assert p.latest is not None and p.latest.value is not None and 85.0 < p.latest.value < 85.04
    assert p.status == "met" and p.uncertain and any("结论存疑" in n for n in p.notes)
    assert uncertainty(a, p.latest) > p.latest.value - 85
    clear = build(tmp_path, [("users_5g_mobile_phone", NATION, "2026-04", 12.05 * YI), *rows[1:]])
    p = assess(clear, plan, target, NATION, parse_period("2026-04"))
    assert p.status == "met" and not p.uncertain


def test_a_flagged_preferred_value_gives_way_to_another_sources_that_passes(tmp_path: Path) -> None:
    rows = [*_regional(17.77), ("users_mobile_phone", NATION, "2024-06", 17.68 * YI)]
    a = build(tmp_path, rows, alternatives={len(rows) - 1: "published"})
    f = figure(a, "users_mobile_phone", "2024-06")
    assert f.value == 17.68 * YI and f.sources == ("http://example.org/y",)
    assert len(f.quality) == 1 and "改用本来源" in f.quality[0]


def test_the_preferred_value_stands_when_no_other_passes_or_the_other_is_not_yet_published(tmp_path: Path) -> None:
    rows = [*_regional(17.77), ("users_mobile_phone", NATION, "2024-06", 17.90 * YI)]
    both = build(tmp_path, rows, alternatives={len(rows) - 1: "published"})
    both_fail = figure(both, "users_mobile_phone", "2024-06")
    assert both_fail.value == 17.77 * YI and "17.68亿户" in both_fail.quality[0]
    rows[-1] = ("users_mobile_phone", NATION, "2024-06", 17.68 * YI)
    unpublished = build(tmp_path, rows, alternatives={len(rows) - 1: "approved"})
    assert figure(unpublished, "users_mobile_phone", "2024-06").value == 17.77 * YI  # the public's figure stays


def test_a_sum_of_many_doubtful_parts_carries_one_note_not_all_of_theirs(tmp_path: Path) -> None:
    guangdong = [u for u in TREE.children["440000"] if TREE.get(u).is_place]
    rows = [("bs_5g", c, p, v) for c in guangdong for p, v in (("2025-01", 1_000), ("2025-02", 9_000))]
    a = build(tmp_path, rows)
    assert all(figure(a, "bs_5g", "2025-02", c).quality for c in guangdong)  # every city jumped
    (note,) = figure(a, "bs_5g", "2025-02", "440000").quality
    assert "见溯源" in note
    few = build(tmp_path, [*rows[:2], *[("bs_5g", c, p, 1_000) for c in guangdong[1:] for p in ("2025-01", "2025-02")]])
    assert figure(few, "bs_5g", "2025-02", "440000").quality == figure(few, "bs_5g", "2025-02", guangdong[0]).quality
