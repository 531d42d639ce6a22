"""Returns of forms (填报) and their workflow: draft → submitted → approved (province) → accepted (ministry) →
published; a return goes back to the reporter with a message; a reporter withdraws before review; a
correction after approval needs an unlock of the cells concerned, and starts a new round.

The figures of a return are data values of one source per return (kind ``form``): each round writes new
versions of them (``write_batch``), each action moves them (``review``), so that the values' history, the
analytics and the lineage stay the ones every other path uses. This module keeps what a return adds: its
state, the cells entered (from the first draft on), the explanations of soft-rule hits, the unlocks and an
append-only history of every action with its message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yangfan.errors import Issue, Location, YangfanError
from yangfan.store import audit
from yangfan.store.models import DataValueRow, SourceRow, SubmissionCellRow, SubmissionEventRow, SubmissionRow
from yangfan.store.repository import WriteResult, write_batch
from yangfan.store.review import Action, review
from yangfan.store.values import NewValue

State = Literal["draft", "submitted", "returned", "approved", "accepted", "published"]
Step = Literal["save", "submit", "withdraw", "return", "approve", "accept", "publish", "unlock"]
SOURCE_KIND = "form"
#: The demo's returns (``yangfan demo``): their values are labelled 演示数据 wherever they show.
DEMO_SOURCE_KIND = "demo-form"
#: What each step starts from and leads to.
STEPS: dict[Step, tuple[tuple[State, ...], State]] = {
    "save": (("draft", "returned"), "draft"),
    "submit": (("draft", "returned"), "submitted"),
    "withdraw": (("submitted",), "draft"),
    "return": (("submitted",), "returned"),
    "approve": (("submitted",), "approved"),
    "accept": (("approved",), "accepted"),
    "publish": (("accepted",), "published"),
    "unlock": (("approved", "accepted", "published"), "draft"),
}
STATE_ZH: dict[str, str] = {"draft": "草稿", "submitted": "已提交，待审核", "returned": "已退回，待修改",
                            "approved": "省级已审核", "accepted": "部级已接收", "published": "已发布",
                            "not_started": "未填报"}
STEP_ZH: dict[str, str] = {"save": "保存草稿", "submit": "提交", "withdraw": "撤回", "return": "退回",
                           "approve": "审核通过", "accept": "接收", "publish": "发布", "unlock": "解锁更正"}
#: A cell: indicator × disaggregation.
CellKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ReturnKey:
    """Which return: form × org unit × reporting unit × period."""

    form: str
    org_unit: str
    reporter: str
    period: str

    def __str__(self) -> str:
        return f"{self.form}/{self.org_unit}/{self.reporter or '-'}/{self.period}"


@dataclass(frozen=True, slots=True)
class CellInput:
    """A figure entered in a cell (None: left empty) and the reporter's explanation."""

    value: float | None
    explanation: str = ""


def source_title(key: ReturnKey) -> str:
    """The source of a return's values: one per form, org unit and reporting unit (the periods are keys)."""
    return f"报表 {key.form} · {key.org_unit}{' · ' + key.reporter if key.reporter else ''}"


def find(session: Session, key: ReturnKey) -> SubmissionRow | None:
    """The return, if anyone has started it."""
    return session.scalar(select(SubmissionRow).where(
        SubmissionRow.form_code == key.form, SubmissionRow.org_unit_code == key.org_unit,
        SubmissionRow.reporter == key.reporter, SubmissionRow.period_code == key.period))


def get(session: Session, submission_id: int) -> SubmissionRow:
    """A return by id, or the error that does not say whether it exists."""
    row = session.get(SubmissionRow, submission_id)
    if row is None:
        raise _hidden(submission_id)
    return row


def _hidden(i: int) -> YangfanError:
    return YangfanError.single("return.unknown", f"报表 {i} 不存在或无权查看",
                               f"return {i} does not exist or is not yours", Location(entry=str(i)))


def key_of(row: SubmissionRow) -> ReturnKey:
    """The return's key."""
    return ReturnKey(row.form_code, row.org_unit_code, row.reporter, row.period_code)


def cells(session: Session, submission_id: int) -> dict[CellKey, SubmissionCellRow]:
    """The cells entered, by indicator and disaggregation."""
    rows = session.scalars(select(SubmissionCellRow).where(SubmissionCellRow.submission_id == submission_id))
    return {(r.indicator_code, r.disaggregation): r for r in rows}


def history(session: Session, submission_id: int) -> list[SubmissionEventRow]:
    """Every action on a return, oldest first."""
    return list(session.scalars(select(SubmissionEventRow).where(SubmissionEventRow.submission_id == submission_id)
                                .order_by(SubmissionEventRow.id)))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _event(session: Session, row: SubmissionRow, actor: str, step: Step, before: str, message: str = "",
           detail: Mapping[str, object] | None = None, at: datetime | None = None) -> None:
    session.add(SubmissionEventRow(submission_id=row.id, at=at or _now(), actor=actor, action=step,
                                   state_before=before, state_after=row.state, round=row.round, message=message,
                                   detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)))
    row.updated_at = at or _now()
    session.flush()
    audit.append(session, actor, f"return.{step}", "submission", str(row.id),
                 before={"state": before}, after={"state": row.state, "return": str(key_of(row)), "round": row.round,
                                                  "message": message, **(detail or {})})


def _check_step(row: SubmissionRow | None, step: Step, key: ReturnKey | None = None) -> None:
    allowed, _after = STEPS[step]
    state = row.state if row is not None else "draft"
    if state not in allowed:
        what = str(key or (key_of(row) if row else ""))
        raise YangfanError.single(
            "return.state",
            f"报表 {what} 当前状态为“{STATE_ZH.get(state, state)}”，不能{STEP_ZH[step]}（可能已被他人处理，请刷新）",
            f"return {what} is '{state}': it cannot be {step} now (someone may have acted on it first: reload)",
            Location(entry=what, field="state"))


def save(session: Session, actor: str, key: ReturnKey, entered: Mapping[CellKey, CellInput],
         at: datetime | None = None) -> SubmissionRow:
    """Keep the cells entered as a draft (a new return, or one in draft or returned; after approval only the
    unlocked cells). Nothing is validated or released: a draft is the reporter's own."""
    row = find(session, key)
    if row is None:
        row = SubmissionRow(form_code=key.form, org_unit_code=key.org_unit, reporter=key.reporter,
                            period_code=key.period, state="draft", round=1, message="", submitted_by="")
        session.add(row)
        session.flush()
        before = "new"
    else:
        _check_step(row, "save", key)
        before = row.state
    changed = _write_cells(session, row, entered)
    if before == "new" or changed:
        _event(session, row, actor, "save", before, detail={"cells": changed}, at=at)
    return row


def _write_cells(session: Session, row: SubmissionRow, entered: Mapping[CellKey, CellInput]) -> list[dict[str, object]]:
    current = cells(session, row.id)
    locked = row.round > 1 and any(c.unlocked for c in current.values())
    changed: list[dict[str, object]] = []
    refused: list[Issue] = []
    for (indicator, disagg), given in entered.items():
        cell = current.get((indicator, disagg))
        old = cell.value if cell else None
        if cell is not None and old == given.value and cell.explanation == given.explanation:
            continue
        if locked and (cell is None or not cell.unlocked) and old != given.value:
            refused.append(Issue("return.locked", f"{indicator} 已审核且未解锁，不能修改：请联系审核人解锁",
                                 f"{indicator} is approved and not unlocked: ask the reviewer to unlock it",
                                 Location(entry=indicator, field=disagg or None)))
            continue
        if cell is None:
            cell = SubmissionCellRow(submission_id=row.id, indicator_code=indicator, disaggregation=disagg,
                                     explanation="", unlocked=False, flagged=False)
            session.add(cell)
        cell.value, cell.explanation = given.value, given.explanation.strip()
        if old != given.value:
            changed.append({"indicator": indicator, "disaggregation": disagg, "old": old, "new": given.value})
    if refused:
        raise YangfanError(refused)
    session.flush()
    return changed


def submit(session: Session, actor: str, key: ReturnKey, entered: Mapping[CellKey, CellInput],
           values: Sequence[NewValue], file_name: str, digest: str, at: datetime | None = None
           ) -> tuple[SubmissionRow, WriteResult]:
    """Submit a return whose figures passed the rules (the caller validated ``values``, made from ``entered``):
    its cells are kept and its values stored as submitted, in the caller's transaction."""
    row = find(session, key)
    _check_step(row, "submit", key)
    row = row or save(session, actor, key, {}, at)
    before = row.state
    changed = _write_cells(session, row, entered)
    result = write_batch(session, file_name, digest, values, status="submitted", user=actor)
    row.state = "submitted"
    row.message = ""
    row.submitted_by = actor
    if row.submitted_at is None:
        row.submitted_at = at or _now()  # the first submission decides timeliness
    if result.batch_id is not None:
        row.batch_id = result.batch_id
    for c in cells(session, row.id).values():
        c.flagged = False
    _event(session, row, actor, "submit", before, detail={"cells": changed, "batch": result.batch_id,
                                                          "file": file_name}, at=at)
    return row, result


def values_of(session: Session, row: SubmissionRow, statuses: Iterable[str]) -> list[DataValueRow]:
    """The return's current stored values in these states."""
    source = session.scalar(select(SourceRow.id).where(SourceRow.kind.in_((SOURCE_KIND, DEMO_SOURCE_KIND)),
                                                       SourceRow.title == source_title(key_of(row))))
    if source is None:
        return []
    batches = {e["batch"] for e in (json.loads(h.detail or "{}") for h in history(session, row.id)) if e.get("batch")}
    if not batches:
        return []
    return list(session.scalars(select(DataValueRow).where(
        DataValueRow.source_id == source, DataValueRow.is_current.is_(True),
        DataValueRow.batch_id.in_(batches), DataValueRow.status.in_(list(statuses)))))


def act(session: Session, actor: str, submission_id: int, step: Step, allowed: Callable[[SubmissionRow], bool],
        message: str = "", cells_named: Sequence[CellKey] = (), four_eyes: bool = True,
        at: datetime | None = None) -> SubmissionRow:
    """Withdraw, return, approve, accept, publish or unlock a return, with its values, or change nothing.

    A return and an unlock need a message (the reporter reads it); an unlock names the cells it opens.
    """
    row = session.get(SubmissionRow, submission_id)
    if row is None or not allowed(row):
        raise _hidden(submission_id)
    _check_step(row, step)
    if step in ("return", "unlock") and not message.strip():
        raise YangfanError.single("return.message", "退回或解锁须填写说明，告诉填报人要改什么",
                                  "a return or an unlock needs a message telling the reporter what to change",
                                  Location(field="message"))
    before, (_from, after) = row.state, STEPS[step]
    detail: dict[str, object] = {}
    if step == "unlock":
        _unlock(session, row, cells_named)
        detail["cells"] = [list(c) for c in cells_named]
        row.round += 1
    else:
        moving = values_of(session, row, _from_values(step))
        if moving:
            action: Action = step  # type: ignore[assignment]  # the value actions share the steps' names
            review(session, actor, [v.id for v in moving], action, lambda _r: True, message, four_eyes)
        detail["values"] = len(moving)
    if step == "return":
        named = set(cells_named)
        for key, c in cells(session, row.id).items():
            c.flagged = key in named
        detail["cells"] = [list(c) for c in cells_named]
    row.state = after
    row.message = message.strip() if step in ("return", "unlock") else ("" if step == "submit" else row.message)
    _event(session, row, actor, step, before, message.strip(), detail, at)
    return row


def _from_values(step: Step) -> tuple[str, ...]:
    return {"withdraw": ("submitted",), "return": ("submitted",), "approve": ("submitted",),
            "accept": ("approved",), "publish": ("accepted",)}[step]


def _unlock(session: Session, row: SubmissionRow, named: Sequence[CellKey]) -> None:
    current = cells(session, row.id)
    unknown = [c for c in named if c not in current]
    if not named or unknown:
        raise YangfanError.single("return.unlock_cells", "请指明要解锁更正的单元格（指标）",
                                  "name the cells (indicators) to unlock for correction", Location(field="cells"))
    for key, c in current.items():
        c.unlocked = key in set(named)
        c.flagged = key in set(named)
    session.flush()


def all_returns(session: Session) -> list[SubmissionRow]:
    """Every started return."""
    return list(session.scalars(select(SubmissionRow).order_by(SubmissionRow.id)))
