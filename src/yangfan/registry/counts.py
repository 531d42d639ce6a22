"""Counts of registry records as data values: per indicator, org unit (and sector) and period.

A record is counted at a period when it is recognised (or withdrawn) and valid on the period's last day
(``counted_on``); only periods that have ended are counted, as a stock is read at its period's end (the registry
pages show today's records). It counts at its own place and at every place above it,
so each unit's figure is the whole of its subtree and the analytics never has to add a partial sum to it. The
nation and every province get a figure (0 where nothing is registered: a registry is complete for its kind);
below them only units with records do. Sectors split the figure at the nation and the provinces.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yangfan.catalog import Catalog
from yangfan.geo.orgunits import NATION, OrgUnitTree
from yangfan.geo.periods import Period
from yangfan.registry import DEMO_SOURCE_KIND, SOURCE_KIND
from yangfan.registry.kinds import COUNTED, Count, Registry
from yangfan.store.models import DataValueRow, RegistryRecordRow, SourceRow
from yangfan.store.values import NewValue

SOURCE_TITLE = ("名录登记计数（去重后、已认定且有效的记录） / "
                "registry count (de-duplicated, recognised and valid records)")
DEMO_TITLE = "演示数据：名录演示记录计数，不是统计数据 / demo data: a count of demo registry records; not statistics"


@dataclass(frozen=True, slots=True)
class Counted:
    """What a count needs of a record."""

    kind: str
    category: str
    org_unit: str
    sector: str
    valid_from: date
    valid_to: date | None
    demo: bool


def period_of(day: date, period_type: str) -> Period:
    """The period of ``period_type`` that contains ``day``."""
    if period_type == "month":
        return Period(day.year, "month", day.month)
    if period_type == "quarter":
        return Period(day.year, "quarter", (day.month - 1) // 3 + 1)
    return Period(day.year, "year")


def counted_on(p: Period, today: date) -> date:
    """The day a period's count is taken: its last day (today at the latest)."""
    return min(p.end_month.shift(1).start - timedelta(days=1), today)


def records(session: Session) -> list[Counted]:
    """The records that may count: recognised or withdrawn, with a start date."""
    rows = session.execute(select(RegistryRecordRow.kind, RegistryRecordRow.category, RegistryRecordRow.org_unit_code,
                                  RegistryRecordRow.sector, RegistryRecordRow.valid_from, RegistryRecordRow.valid_to,
                                  RegistryRecordRow.demo)
                           .where(RegistryRecordRow.status.in_(COUNTED), RegistryRecordRow.valid_from.is_not(None)))
    return [Counted(k, c, u, s, f, t, d) for k, c, u, s, f, t, d in rows if f is not None]


def _places(tree: OrgUnitTree, code: str) -> list[str]:
    return [code, *tree.ancestors(code)] if code in tree.units else [NATION]


def count(c: Count, found: Iterable[Counted], catalog: Catalog, tree: OrgUnitTree, today: date) -> list[NewValue]:
    """The values of one count: every ended period from the first record's on, at every unit concerned."""
    ind = catalog.indicators[c.indicator]
    mine = [r for r in found if r.kind == c.kind and (not c.categories or r.category in c.categories)]
    if not mine:
        return []
    demo = any(r.demo for r in mine)
    provinces = [u.code for u in tree.at_level(1)]
    first = period_of(min(r.valid_from for r in mine), ind.period_type)
    last = period_of(today, ind.period_type).shift(-1)
    out: list[NewValue] = []
    p = first
    while p <= last:
        day = counted_on(p, today)
        live = [r for r in mine if r.valid_from <= day and (r.valid_to is None or r.valid_to >= day)]
        totals: Counter[tuple[str, str]] = Counter({(u, ""): 0 for u in [NATION, *provinces]})
        for r in live:
            for u in _places(tree, r.org_unit):
                totals[(u, "")] += 1
                if r.sector and tree.units[u].level in (0, 1):
                    totals[(u, f"sector={r.sector}")] += 1
        out += [NewValue(c.indicator, u, str(p), float(n), disaggregation=d,
                         source_kind=DEMO_SOURCE_KIND if demo else SOURCE_KIND,
                         source_title=DEMO_TITLE if demo else SOURCE_TITLE,
                         note=f"截至 {day} 的名录计数 / registry count on {day}")
                for (u, d), n in sorted(totals.items())]
        p = p.shift(1)
    return out


def changes(session: Session, found: list[NewValue]) -> list[NewValue]:
    """What a recount writes: the values of ``found`` that differ from the registry figures standing in the store,
    and zeros for standing figures the count no longer gives (their records were withdrawn before the period,
    merged or moved), so that a count never leaves a stale figure behind. One change moves a few figures of some
    90,000; writing them all again held SQLite's write lock for six seconds, longer than another writer waits."""
    rows = session.execute(
        select(DataValueRow.indicator_code, DataValueRow.org_unit_code, DataValueRow.period_code,
               DataValueRow.disaggregation, SourceRow.kind, SourceRow.title, DataValueRow.value)
        .join(SourceRow, SourceRow.id == DataValueRow.source_id)
        .where(SourceRow.kind.in_((SOURCE_KIND, DEMO_SOURCE_KIND)), DataValueRow.is_current.is_(True)))
    standing = {(i, u, p, d, k, t): v for i, u, p, d, k, t, v in rows}
    given = {v.key for v in found}
    gone = [NewValue(i, u, p, 0.0, disaggregation=d, source_kind=k, source_title=t,
                     note="名录中已无计入的记录 / no registry record counts here any more")
            for (i, u, p, d, k, t), value in standing.items() if value != 0 and (i, u, p, d) not in given]
    return [v for v in found if standing.get((*v.key, v.source_kind, v.source_title)) != v.value] + gone


def values(session: Session, reg: Registry, catalog: Catalog, tree: OrgUnitTree, today: date) -> list[NewValue]:
    """Every registry count as data values."""
    found = records(session)
    return [v for c in reg.counts for v in count(c, found, catalog, tree, today)]
