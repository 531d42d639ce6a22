"""Review of stored data values: submitted → approved or returned, approved → accepted (by the ministry),
approved or accepted → published; a reporter withdraws its own submitted values back to draft.

All or nothing: every value named must exist, be in the state the action starts from and be
within the caller's permission, or nothing changes and the error names each value that is not.
Each transition is a compare-and-set on the state it starts from, so of two reviewers acting on
the same value at once exactly one succeeds and the other is told the value's state now (409);
SQLite serialises the writes, PostgreSQL re-reads a row it waited for. Every review is one audit
entry with the values and their states before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yangfan.errors import Issue, Location, YangfanError
from yangfan.store import audit
from yangfan.store.models import DataValueRow, ImportBatchRow
from yangfan.store.repository import current_rows, elect_preferred, record_change, supersede
from yangfan.store.values import RELEASED, Status

Action = Literal["approve", "return", "accept", "publish", "withdraw"]
#: The states an action starts from, and the state it leads to.
TRANSITIONS: dict[Action, tuple[tuple[Status, ...], Status]] = {
    "approve": (("submitted",), "approved"), "return": (("submitted",), "returned"),
    "accept": (("approved",), "accepted"), "publish": (("approved", "accepted"), "published"),
    "withdraw": (("submitted",), "draft"),
}
#: Values one review may name: a month's return of one province is a few hundred.
MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Reviewed:
    """What a review changed."""

    action: Action
    ids: tuple[int, ...]
    status: Status

    @property
    def changes_analytics(self) -> bool:
        """Approved and published values are released: the analytics table must follow."""
        return self.status in RELEASED


def _hidden(i: int) -> Issue:
    # The same answer for a value that does not exist and one outside the caller's scope: an error must not
    # tell anyone which ids exist, or whose they are.
    return Issue("review.unknown", f"数据值 {i} 不存在或无权审核",
                 f"data value {i} does not exist or is not yours to review", Location(entry=str(i), field="ids"))


def _conflict(row: DataValueRow, action: Action) -> Issue:
    state = row.status if row.is_current else "superseded"
    return Issue("review.conflict",
                 f"数据值 {row.id} 的状态现为“{_STATE_ZH[state]}”，不能{_ZH[action]}（可能已被他人处理，请刷新）",
                 f"data value {row.id} is now '{state}': it cannot be {_EN[action]} (someone may have acted on it "
                 "first: reload)", Location(entry=str(row.id), field="ids"))


def _importers(session: Session, rows: Sequence[DataValueRow]) -> dict[int, str]:
    batches = {r.batch_id for r in rows if r.batch_id is not None}
    found = session.execute(select(ImportBatchRow.id, ImportBatchRow.imported_by)
                            .where(ImportBatchRow.id.in_(batches))).all() if batches else []
    by_batch = dict(found)
    return {r.id: by_batch.get(r.batch_id, "") for r in rows if r.batch_id is not None}


def review(session: Session, actor: str, ids: Sequence[int], action: Action,
           allowed: Callable[[DataValueRow], bool], note: str = "", four_eyes: bool = True) -> Reviewed:
    """Move the values ``ids`` by ``action``, inside the caller's transaction, or raise and change nothing.

    ``four_eyes``: nobody approves or publishes a value they imported themselves.
    """
    before, after = TRANSITIONS[action]
    unique = list(dict.fromkeys(ids))
    if not unique or len(unique) > MAX_BATCH:
        raise YangfanError.single("review.batch", f"每次审核 1 至 {MAX_BATCH} 个数据值",
                                  f"a review names 1 to {MAX_BATCH} data values")
    rows = {r.id: r for r in session.scalars(select(DataValueRow).where(DataValueRow.id.in_(unique)))}
    was = {i: r.status for i, r in rows.items()}
    importers = (_importers(session, list(rows.values())) if four_eyes and action not in ("return", "withdraw")
                 else {})
    issues = []
    for i in unique:
        row = rows.get(i)
        if row is None or not allowed(row):
            issues.append(_hidden(i))
        elif row.status not in before or not row.is_current:
            issues.append(_conflict(row, action))
        elif importers.get(i) == actor:
            issues.append(Issue("review.four_eyes", f"数据值 {i} 由您本人导入，须由另一位审核人{_ZH[action]}",
                                f"you imported data value {i}: another reviewer must have it {_EN[action]}",
                                Location(entry=str(i), field="ids")))
    if issues:
        raise YangfanError(issues)
    # Compare-and-set: only rows still in the starting state move. Fewer than asked means someone else acted
    # between our read and this write; the caller's transaction is rolled back by the error.
    moved = session.execute(update(DataValueRow)
                            .where(DataValueRow.id.in_(unique), DataValueRow.status.in_(before),
                                   DataValueRow.is_current.is_(True))
                            .values(status=after).execution_options(synchronize_session=False))
    if int(getattr(moved, "rowcount", 0) or 0) != len(unique):
        session.expire_all()
        now = {r.id: r for r in session.scalars(select(DataValueRow).where(DataValueRow.id.in_(unique)))}
        raise YangfanError([_conflict(r, action) for r in now.values() if r.status != after] or
                           [_conflict(r, action) for r in now.values()])
    session.expire_all()
    reviewed = list(session.scalars(select(DataValueRow).where(DataValueRow.id.in_(unique))))
    keys = {(r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation) for r in reviewed}
    if after in RELEASED:
        _supersede_older(session, reviewed, after)
    elect_preferred(session, keys)
    audit.append(session, actor, f"data.{action}", "data_value", ",".join(map(str, unique))[:200],
                 before={"status": sorted(set(was.values()))}, after={"status": after, "ids": unique,
                                                                                   "note": note})
    if after in RELEASED or any(w in RELEASED for w in was.values()):
        record_change(session, f"review.{action}", {"ids": unique},
                      ((r.indicator_code, r.org_unit_code, r.period_code) for r in reviewed))
    return Reviewed(action, tuple(unique), after)


def _supersede_older(session: Session, reviewed: Sequence[DataValueRow], status: str) -> None:
    """A version that reaches ``status`` replaces the older versions of its source that it now outranks."""
    current = current_rows(session, {r.indicator_code for r in reviewed}, {r.period_code for r in reviewed},
                           {r.org_unit_code for r in reviewed})
    for r in reviewed:
        standing = current.get((r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation, r.source_id), [])
        supersede((o for o in standing if o.version < r.version), status)
    session.flush()


_ZH = {"approve": "审核通过", "return": "退回", "accept": "接收", "publish": "发布", "withdraw": "撤回"}
_STATE_ZH = {"draft": "草稿", "submitted": "待审核", "approved": "已审核，待部级接收", "accepted": "部级已接收，待发布",
             "published": "已发布", "returned": "已退回", "superseded": "已被新版本取代"}
_EN = {"approve": "approved", "return": "returned", "accept": "accepted", "publish": "published",
       "withdraw": "withdrawn"}


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
