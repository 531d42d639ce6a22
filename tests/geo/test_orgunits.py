"""Org units from the NBS 2023 division lists, groups and reporting units."""

from __future__ import annotations

import pytest

from yangfan.errors import YangfanError
from yangfan.geo.orgunits import NATION, get_tree


def test_hierarchy_sizes() -> None:
    tree = get_tree()
    assert tree.get(NATION).level == 0
    assert len(tree.at_level(1)) == 31
    prefectures = [u for u in tree.at_level(2) if u.kind == "prefecture"]
    assert len(prefectures) == 333
    assert len(tree.cities()) == 337  # 地级及以上城市: 4 municipalities + 333
    assert 2800 <= len(tree.at_level(3)) <= 3000


def test_every_place_reaches_the_nation() -> None:
    tree = get_tree()
    for u in tree.at_level(3):
        assert tree.ancestors(u.code)[-1] == NATION
        assert len(tree.ancestors(u.code)) == 3


def test_six_digit_codes_and_names() -> None:
    tree = get_tree()
    assert tree.get("440300").name_zh == "深圳市" and tree.get("440300").parent == "440000"
    assert tree.get("110000").kind == "municipality" and tree.get("110000").name_en == "Beijing"
    assert tree.get("441900").level == 2  # 东莞: a prefecture-level city without districts


def test_regions_partition_the_provinces() -> None:
    tree = get_tree()
    regions = [tree.groups[c] for c in ("east", "central", "west", "northeast")]
    members = [m for g in regions for m in g.members]
    assert sorted(members) == sorted(u.code for u in tree.at_level(1))
    assert set(tree.groups["jingjinji"].members) == {"110000", "120000", "130000"}
    assert set(tree.groups["yangtze_river_delta"].members) == {"310000", "320000", "330000", "340000"}


def test_reporting_units_are_outside_the_place_tree() -> None:
    tree = get_tree()
    xpcc = tree.get("660000")
    assert xpcc.kind == "xpcc" and not xpcc.is_place
    assert {tree.get(c).kind for c in ("cmcc", "ctcc", "cucc", "cbn")} == {"operator"}
    assert "660000" not in tree.descendants(NATION)


def test_unknown_code_is_a_clear_error() -> None:
    with pytest.raises(YangfanError) as exc:
        get_tree().get("999999")
    assert exc.value.issues[0].code == "org_unit.unknown"
