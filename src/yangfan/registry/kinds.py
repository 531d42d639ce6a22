"""The registries as data (``data/registry.yaml``): kinds of record, their categories and fields, the plan's
sectors, and which count of records feeds which catalog indicator; checked against the catalog on load."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from yangfan.catalog import Catalog
from yangfan.errors import Issue, Location, YangfanError

DATA = Path(__file__).parent / "data" / "registry.yaml"
#: Statuses counted towards targets (a withdrawn record up to its end date).
COUNTED = ("recognised", "withdrawn")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    zh: str
    en: str


class Sector(_Strict):
    zh: str
    en: str
    group: str


class Kind(_Strict):
    zh: str
    en: str
    key: Literal["uscc", "ref", "name"] = "name"
    operator: bool = False
    categories: dict[str, Label]
    attrs: dict[str, Label] = {}


class Count(_Strict):
    indicator: str
    kind: str
    categories: tuple[str, ...] = ()


class Registry(_Strict):
    statuses: dict[str, Label]
    sectors: dict[str, Sector]
    sector_groups: dict[str, Label]
    kinds: dict[str, Kind]
    counts: tuple[Count, ...]

    def counts_of(self, kind: str, category: str) -> list[Count]:
        """The counts a record of this kind and category enters."""
        return [c for c in self.counts if c.kind == kind and (not c.categories or category in c.categories)]

    def count_for(self, indicator: str) -> Count | None:
        """The count that feeds ``indicator``, if a registry feeds it."""
        return next((c for c in self.counts if c.indicator == indicator), None)


def load(catalog: Catalog, path: Path = DATA) -> Registry:
    """The registries, checked: every count names a catalog indicator (a raw, summed stock) and a kind and
    categories that exist, and every sector names its group."""
    try:
        reg = Registry.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise YangfanError([Issue("registry.definition", f"名录定义无效：{e['msg']}", f"invalid registry: {e['msg']}",
                                  Location(file=path.name, entry=".".join(map(str, e["loc"]))))
                            for e in exc.errors()]) from None
    issues = []
    for i, c in enumerate(reg.counts):
        ind = catalog.indicators.get(c.indicator)
        kind = reg.kinds.get(c.kind)
        if ind is None or ind.kind != "raw" or ind.time_aggregation != "stock" or ind.org_aggregation != "sum":
            issues.append(("count_indicator", f"计数指标 {c.indicator} 不存在或不是可加总的存量原始指标",
                           f"count indicator {c.indicator} is unknown or not a summable raw stock", f"counts.{i}"))
        if kind is None or any(cat not in kind.categories for cat in c.categories):
            issues.append(("count_kind", f"计数的类别 {c.kind}/{','.join(c.categories)} 不存在",
                           f"count kind or category {c.kind}/{','.join(c.categories)} unknown", f"counts.{i}"))
    for code, s in reg.sectors.items():
        if s.group not in reg.sector_groups:
            issues.append(("sector_group", f"行业 {code} 的分组 {s.group} 不存在", f"sector {code}: unknown group",
                           f"sectors.{code}"))
    if issues:
        raise YangfanError([Issue(f"registry.{c}", zh, en, Location(file=path.name, entry=entry))
                            for c, zh, en, entry in issues])
    return reg


_LOADED: dict[int, Registry] = {}


def get_registry(catalog: Catalog) -> Registry:
    """The registries checked against ``catalog``, loaded once per catalog."""
    if id(catalog) not in _LOADED:
        _LOADED[id(catalog)] = load(catalog)
    return _LOADED[id(catalog)]
