"""The registries (名录) over the API: search, one record with its history, new records, decisions, merges,
bulk imports (with a dry run), possible duplicates, calls for applications and the credit-code check.

The same rules as the pages and the CLI (``registry.records``): the public reads recognised records, reporters
enter within their scope, the ministry decides and merges. Errors are the platform's error JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from yangfan.errors import YangfanError
from yangfan.registry import bulk, dedup, intake, records, uscc
from yangfan.store.db import session_scope
from yangfan.web.api.account import MAX_FILE_NAME, MAX_UPLOAD, file_part
from yangfan.web.auth import PrincipalDep, UserDep
from yangfan.web.deps import PageDep, YangfanDep
from yangfan.web.registry_views import (
    Filters,
    Year,
    attachment_dict,
    attachments_of,
    call_dict,
    event_dict,
    merged_from,
    ministry_only,
    readable,
    record_dict,
    record_input,
    recount,
    search_of,
)
from yangfan.web.responses import PRIVATE, cached_json

router = APIRouter(prefix="/registry", tags=["registries"])
#: Where import files are posted (under the API prefix): its body limit is that of the other imports.
IMPORTS = "/registry/imports"
Code = Annotated[str, Query(max_length=32)]
RecordId = Annotated[int, Path(ge=1, description="record id")]


class RecordIn(BaseModel):
    """A record as entered: the kind's own fields in ``attrs`` (``GET /registry/kinds`` lists them)."""

    kind: str = Field(max_length=24, description="organisation, carrier, standard, product, vpn, edge_node, …")
    category: str = Field(max_length=32)
    name: str = Field(max_length=200)
    org_unit: str = Field(max_length=32, description="the place: a province or city code, e.g. 440100")
    uscc: str | None = Field(None, max_length=40, description="统一社会信用代码 (organisations)")
    ref: str = Field("", max_length=100, description="a standard's number, a product's model")
    sector: str = Field("", max_length=24)
    operator: str = Field("", max_length=8, description="cmcc, ctcc, cucc or cbn (networks and edge nodes)")
    valid_from: date | None = None
    valid_to: date | None = None
    attrs: dict[str, str] = Field(default_factory=dict, max_length=20)
    message: str = Field("", max_length=2000)


class DecisionIn(BaseModel):
    """Recognise (from ``valid_from``, by default today) or reject (with a reason) an application."""

    decision: Literal["recognise", "reject"]
    message: str = Field("", max_length=2000)
    valid_from: date | None = None


class MergeIn(BaseModel):
    """Merge the record ``drop`` into the record of the path, which stays."""

    drop: int = Field(ge=1, le=2**53 - 1)
    message: str = Field("", max_length=2000)


def _private(response: Response) -> Response:
    """A record list depends on who asks: only the client may keep it."""
    response.headers["Cache-Control"] = PRIVATE
    return response


@router.get("/kinds", summary="Kinds of record, their categories and fields; sectors; statuses / 名录类别")
def list_kinds(y: YangfanDep) -> dict[str, Any]:
    """The registries' definitions (``registry/data/registry.yaml``) and which indicator each count feeds."""
    return y.registry.model_dump()


@router.get("/records", summary="Search the registries / 检索名录")
def list_records(request: Request, y: YangfanDep, principal: PrincipalDep, page: PageDep,
                 q: Annotated[str, Query(max_length=100, description="name, pinyin initials, credit code or number")]
                 = "", kind: Code = "", category: Code = "", sector: Code = "", org_unit: Code = "",
                 operator: Code = "", status: Code = "", year: Year = "",
                 indicator: Annotated[str, Query(max_length=64, description="the records behind this count")] = "",
                 period: Annotated[str, Query(max_length=10, description="with indicator: 2026, 2026Q3, 2026-09")]
                 = "") -> Response:
    """The records the caller may read (the public: recognised and withdrawn ones), newest first, with
    X-Total-Count; with ``indicator`` and ``period``, exactly the records its count takes, and the count."""
    f = Filters.of(q, kind, category, sector, org_unit, operator, status, year, indicator, period)
    search, behind = search_of(y, f, principal.published_only, "zh")
    with session_scope(y.engine) as s:
        total, rows = records.search(s, search, y.tree, principal.grants, page.limit, page.offset)
        items = [record_dict(r, y) for r in rows]
    headers = {"X-Total-Count": str(total)}
    if behind is not None:
        headers["X-Count-Value"] = "" if behind.count is None else f"{behind.count:g}"
        headers["X-Counted-On"] = behind.day.isoformat()
    if page.offset + page.limit < total:
        nxt = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        headers["Link"] = f'<{nxt}>; rel="next"'
    return _private(cached_json(request, items, headers))


@router.get("/records/{record_id}", summary="One record with its history / 名录记录")
def get_record(record_id: RecordId, y: YangfanDep, principal: PrincipalDep) -> dict[str, Any]:
    """The record, its history (with that of records merged into it), attachments and merged records."""
    with session_scope(y.engine) as s:
        row = readable(s, y, principal.grants, record_id)
        return {**record_dict(row, y), "history": [event_dict(e) for e in records.history(s, row.id)],
                "attachments": [attachment_dict(a) for a in attachments_of(s, row.id)],
                "merged_from": [m.id for m in merged_from(s, row.id)]}


@router.post("/records", summary="Enter a record / 登记名录记录", status_code=201)
def create_record(body: RecordIn, y: YangfanDep, user: UserDep) -> dict[str, Any]:
    """Within the caller's scope: the ministry any; an operator its own networks and edge nodes (recognised as
    entered); a province's reporters the other kinds in their province (applied, until the ministry decides)."""
    fields = body.model_dump(exclude={"message"})
    with session_scope(y.engine) as s:
        row = records.create(s, y.registry, y.tree, user.grants, user.username or "",
                             record_input(fields, y.registry), message=body.message)
        out = record_dict(row, y)
    recount(y)
    return out


@router.post("/records/{record_id}/decision", summary="Recognise or reject an application / 认定或驳回")
def decide(record_id: RecordId, body: DecisionIn, y: YangfanDep, user: UserDep) -> dict[str, Any]:
    """The ministry's: a rejection needs a reason; a recognised record counts from its start date."""
    ministry_only(user.grants)
    with session_scope(y.engine) as s:
        row = readable(s, y, user.grants, record_id)
        records.decide(s, user.grants, user.username or "", row, body.decision, body.message, body.valid_from)
        out = record_dict(row, y)
    recount(y)
    return out


@router.post("/records/{record_id}/merge", summary="Merge a duplicate into this record / 合并记录")
def merge(record_id: RecordId, body: MergeIn, y: YangfanDep, user: UserDep
          ) -> dict[str, Any]:
    """The ministry's: the record of the path stays and takes the fields it lacks; the other is marked merged
    and keeps its history."""
    ministry_only(user.grants)
    with session_scope(y.engine) as s:
        keep, drop = readable(s, y, user.grants, record_id), readable(s, y, user.grants, body.drop)
        took = records.merge(s, user.grants, user.username or "", keep, drop, body.message)
        out = {**record_dict(keep, y), "took": {k: str(v) for k, v in took.items()}, "merged": drop.id}
    recount(y)
    return out


IMPORT_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "xlsx (first sheet) or UTF-8 CSV / 导入文件"}}}}},
    "description": "The file of records, 20 MB at most, as the `file` part of a multipart/form-data body. "
                   "/ 名录记录文件（不超过 20 MB）。"}}


@router.post("/imports", summary="Import records from xlsx or CSV (all rows or none) / 批量导入名录",
             openapi_extra=IMPORT_BODY)
async def import_records(request: Request, y: YangfanDep, user: UserDep,
                         dry_run: Annotated[bool, Query(description="check and report, write nothing")] = True
                         ) -> dict[str, Any]:
    """Every row checked (and within the caller's scope) or nothing written: the refusal lists each problem
    with its row and field. A dry run (the default) says what an import would add, update and leave alone."""
    content, name = await file_part(request)
    name = (name or "registry.csv")[:MAX_FILE_NAME]
    if len(content) > MAX_UPLOAD:
        raise YangfanError.single("file.too_large", "文件过大（上限 20 MB）", "file too large (20 MB at most)")

    def run() -> dict[str, Any]:
        with session_scope(y.engine) as s:
            return bulk.run(s, y.registry, y.tree, user.grants, user.username or "", content, name, dry_run).as_dict()

    result = await run_in_threadpool(run)
    if not dry_run and not result["repeated"]:
        recount(y)
    return result


@router.get("/duplicates", summary="Possible duplicates / 疑似重复")
def list_duplicates(request: Request, y: YangfanDep, user: UserDep, page: PageDep,
                    kind: Annotated[str | None, Query(max_length=24)] = None) -> Response:
    """The ministry's: pairs with the same credit code or number, or names alike, most alike first."""
    ministry_only(user.grants)
    with session_scope(y.engine) as s:
        rows = [d.as_dict() for d in dedup.find(s, kind)]
    headers = {"X-Total-Count": str(len(rows))}
    return _private(cached_json(request, rows[page.offset:page.offset + page.limit], headers))


@router.get("/calls", summary="Calls for applications / 征集")
def list_calls(y: YangfanDep, open_only: Annotated[bool, Query(alias="open")] = False) -> list[dict[str, Any]]:
    """Every call (``open=true``: those open today), newest first, with its number of applications."""
    today = y.today()
    with session_scope(y.engine) as s:
        return [call_dict(c, n, today) for c, n in intake.calls(s, today if open_only else None)]


@router.get("/check-uscc", summary="Check a unified social credit code / 校验统一社会信用代码")
def check_uscc(code: Annotated[str, Query(max_length=40, description="the 18-character code")]) -> dict[str, Any]:
    """Valid or not, and why not (length, characters, the check digit it should have)."""
    found = uscc.problem(code)
    return {"code": uscc.compact(code), "valid": found is None, "reason_zh": found[0] if found else "",
            "reason_en": found[1] if found else ""}
