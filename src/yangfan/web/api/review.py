"""Submissions awaiting review, and the review itself: approve, return, publish."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from yangfan.access.permissions import may_publish, may_review, may_see, reviews_some
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow
from yangfan.store.review import MAX_BATCH, Action, pending, review
from yangfan.store.values import Status
from yangfan.web.auth import UserDep
from yangfan.web.deps import PageDep, YangfanDep
from yangfan.web.responses import paged_json

router = APIRouter(tags=["review"])


class ReviewIn(BaseModel):
    """Which stored values, and what to do with them."""

    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(min_length=1, max_length=MAX_BATCH)
    action: Action
    note: str = Field("", max_length=500)


def submission_record(r: DataValueRow) -> dict[str, Any]:
    """A stored value as a reviewer sees it."""
    return {"id": r.id, "indicator": r.indicator_code, "org_unit": r.org_unit_code, "period": r.period_code,
            "disaggregation": r.disaggregation, "value": r.value, "qualifier": r.qualifier, "status": r.status,
            "version": r.version, "batch_id": r.batch_id, "source_row": r.source_row, "note": r.note}


@router.get("/submissions", summary="Stored values awaiting review, within the caller's scope / 待审核数据")
def submissions(request: Request, y: YangfanDep, page: PageDep, user: UserDep,
                status: Annotated[list[Literal["submitted", "approved", "accepted", "returned"]],
                                  Query()] = ["submitted"],  # noqa: B006
                ) -> Response:
    """Unpublished values: scoped users see those of their own unit (or operator) only."""
    statuses: list[Status] = list(status)
    with session_scope(y.engine) as s:
        rows = [submission_record(r) for r in pending(s, statuses, lambda r: may_see(user.grants, r, y.tree))]
    return paged_json(request, rows, page, private=True)


@router.post("/reviews", summary="Approve, return or publish stored values (all or none) / 审核、退回、发布")
def do_review(body: ReviewIn, y: YangfanDep, user: UserDep) -> dict[str, Any]:
    """Provincial reviewers approve or return inside their unit; ministry roles anywhere, and accept and publish.
    (A reporter withdraws through its return: ``POST /api/v1/returns/{id}/withdraw``.)"""
    ministry = body.action in ("publish", "accept")
    if body.action == "withdraw" or not (may_publish(user.grants) if ministry else reviews_some(user.grants)):
        raise YangfanError.single("permission.denied", "您的角色不能执行此审核操作",
                                  f"your role may not {body.action} values")

    def allowed(row: DataValueRow) -> bool:
        return may_publish(user.grants) if ministry else may_review(user.grants, row, y.tree)

    with session_scope(y.engine) as s:
        result = review(s, user.username or "", body.ids, body.action, allowed, body.note, y.settings.four_eyes)
    if result.changes_analytics:
        y.changed()  # the builder applies it in the background: the response does not wait for the analytics
    return {"action": result.action, "ids": list(result.ids), "status": result.status}
