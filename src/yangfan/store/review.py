"""Review of stored data values: submitted → approved or returned, approved → published.

All or nothing: every value named must exist, be in the state the action starts from and be
within the caller's permission, or nothing changes and the error names each value that is not.
Every review is one audit entry with the values and their states before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yangfan.errors import Issue, Location, YangfanError
from yangfan.store import audit
from yangfan.store.models import DataValueRow
from yangfan.store.repository import elect_preferred
from yangfan.store.values import Status

Action = Literal["approve", "return", "publish"]
TRANSITIONS: dict[Action, tuple[Status, Status]] = {
    "approve": ("submitted", "approved"), "return": ("submitted", "returned"), "publish": ("approved", "published"),
}


@dataclass(frozen=True, slots=True)
class Reviewed:
    """What a review changed."""

    action: Action
    ids: tuple[int, ...]
    status: Status

    @property
    def changes_analytics(self) -> bool:
        """Approved and published values are released: the analytics table must be rebuilt."""
        return self.status in ("approved", "published")


def review(session: Session, actor: str, ids: Sequence[int], action: Action,
           allowed: Callable[[DataValueRow], bool], note: str = "") -> Reviewed:
    """Move the values ``ids`` by ``action``, inside the caller's transaction, or raise and change nothing."""
    before, after = TRANSITIONS[action]
    rows = {r.id: r for r in session.scalars(select(DataValueRow).where(DataValueRow.id.in_(list(ids))))}
    issues = []
    for i in ids:
        row = rows.get(i)
        where = Location(entry=str(i), field="ids")
        if row is None:
            issues.append(Issue("review.unknown", f"未知的数据值 {i}", f"unknown data value {i}", where))
        elif not allowed(row):
            issues.append(Issue("permission.denied", f"无权审核组织单元 {row.org_unit_code} 的数据值 {i}",
                                f"no permission to review data value {i} of org unit {row.org_unit_code}", where))
        elif row.status != before or not row.is_current:
            issues.append(Issue("review.state", f"数据值 {i} 的状态为“{row.status}”，不能{_ZH[action]}",
                                f"data value {i} is '{row.status}': it cannot be {_EN[action]}", where))
    if issues:
        raise YangfanError(issues)
    for row in rows.values():
        row.status = after
    elect_preferred(session, {(r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation)
                              for r in rows.values()})
    audit.append(session, actor, f"data.{action}", "data_value", ",".join(map(str, ids))[:200],
                 before={"status": before}, after={"status": after, "ids": list(ids), "note": note})
    return Reviewed(action, tuple(ids), after)


_ZH = {"approve": "审核通过", "return": "退回", "publish": "发布"}
_EN = {"approve": "approved", "return": "returned", "publish": "published"}


def pending(session: Session, statuses: Sequence[Status], visible: Callable[[DataValueRow], bool],
            limit: int = 1000) -> list[DataValueRow]:
    """Current values in these states that the caller may see, oldest first."""
    rows = session.scalars(select(DataValueRow).where(DataValueRow.is_current.is_(True),
                                                      DataValueRow.status.in_(list(statuses)))
                           .order_by(DataValueRow.id))
    out = []
    for r in rows:
        if visible(r):
            out.append(r)
            if len(out) >= limit:
                break
    return out
