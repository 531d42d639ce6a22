"""Statistical reporting over the API: forms, what a reporter owes, the entry of a return, its validation,
submission and review (withdraw, return with a message, approve, accept, publish, unlock)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from yangfan.access.permissions import ministry_level
from yangfan.collect import reporting
from yangfan.collect.forms import Form, Return, form_or_error
from yangfan.geo.periods import parse_period
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.store.models import SubmissionRow
from yangfan.store.submissions import CellInput, CellKey, ReturnKey, Step
from yangfan.web.auth import Principal, UserDep
from yangfan.web.deps import PageDep, YangfanDep
from yangfan.web.responses import paged_json

router = APIRouter(tags=["reporting"])
FormCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9]{1,15}$", description="form code, e.g. OPM")]
UnitCode = Annotated[str, Path(max_length=32, description="org unit the figures are of, e.g. 440000")]
PeriodCode = Annotated[str, Path(max_length=10, description="2026-09, 2026Q3 or 2025")]
Reporter = Annotated[str, Query(max_length=32, description="reporting unit when another than the org unit: an "
                                                            "operator (cmcc, ctcc, cucc, cbn) or a department")]


class CellIn(BaseModel):
    """One cell of a return: the figure in the indicator's base unit (null: empty) and an explanation."""

    indicator: str = Field(max_length=64)
    value: float | None = Field(None, allow_inf_nan=False)
    explanation: str = Field("", max_length=2000)


class CellsIn(BaseModel):
    """The cells entered (the others keep what was saved before)."""

    cells: list[CellIn] = Field(max_length=200)


class StepIn(BaseModel):
    """A review step on a return; ``return`` and ``unlock`` need a message, ``unlock`` the indicators it opens."""

    message: str = Field("", max_length=2000)
    indicators: list[str] = Field(default_factory=list, max_length=200)


@router.get("/forms", summary="Report forms / 报表目录")
def list_forms(y: YangfanDep) -> list[dict[str, object]]:
    """Every form: its indicators, period type, reporting units and deadline rule."""
    return [f.as_dict(y.tree) for f in y.forms.values()]


@router.get("/forms/{form}", summary="One report form / 报表")
def show_form(form: FormCode, y: YangfanDep) -> dict[str, object]:
    """A form with its items' names, units and decimals."""
    f = form_or_error(y.forms, form)
    return {**f.as_dict(y.tree), "items": [{"indicator": i.code, "name_zh": i.name_zh, "name_en": i.name_en,
                                            "unit": i.unit, "decimals": i.decimals} for i in f.items]}


@router.get("/obligations", summary="Returns owed or to review, within the caller's scope / 应报与待审报表")
def list_obligations(request: Request, y: YangfanDep, page: PageDep, user: UserDep,
                     view: Literal["fill", "review", "all"] = "fill",
                     form: Annotated[str | None, Query(max_length=16)] = None,
                     period: Annotated[str | None, Query(max_length=10)] = None,
                     state: Annotated[str | None, Query(max_length=16)] = None) -> Response:
    """``fill``: what the caller reports; ``review``: what it approves or returns; newest deadline first."""
    keep = _scope(user, view, y)
    with session_scope(y.engine) as s:
        found = reporting.obligations(s, _forms(y, form), y.tree, y.today(), keep)
    rows = [o.as_dict(y.tree) for o in found if (period is None or str(o.period) == period)
            and (state is None or o.state == state or (state == "overdue" and o.overdue))]
    return paged_json(request, rows, page, private=True)


def _forms(y: Any, form: str | None) -> dict[str, Form]:
    return {form: form_or_error(y.forms, form)} if form else y.forms


def _scope(user: Principal, view: str, y: Any) -> Any:
    def keep(r: Return) -> bool:
        if view == "fill":
            return reporting.may_fill(user.grants, r, y.tree)
        if view == "review":
            return reporting.may_check(user.grants, r.org_unit, y.tree)
        return reporting.may_view(user.grants, r, y.tree)
    return keep


def _key(y: Any, user: Principal, form: str, org_unit: str, reporter: str, period: str,
         fill: bool) -> tuple[Form, ReturnKey]:
    f = form_or_error(y.forms, form)
    key = reporting.key_for(f, org_unit, reporter, period, y.tree)
    r = Return(org_unit, reporter)
    ok = reporting.may_fill(user.grants, r, y.tree) if fill else reporting.may_view(user.grants, r, y.tree)
    if not ok:
        raise submissions_hidden(str(key))
    return f, key


def submissions_hidden(what: str) -> Exception:
    """The same answer for a return that is not the caller's and one that does not exist."""
    from yangfan.errors import YangfanError

    return YangfanError.single("permission.denied", f"无权填报或查看报表 {what}",
                               f"return {what} is not yours to fill or see")


def _state(s: Any, row: SubmissionRow | None, y: Any) -> dict[str, Any]:
    if row is None:
        return {"submission_id": None, "state": "not_started", "state_zh": submissions.STATE_ZH["not_started"],
                "round": 1, "message": "", "history": []}
    return {"submission_id": row.id, "state": row.state, "state_zh": submissions.STATE_ZH[row.state],
            "round": row.round, "message": row.message,
            "submitted_at": row.submitted_at.isoformat(timespec="seconds") if row.submitted_at else None,
            "history": [{"at": h.at.isoformat(timespec="seconds"), "actor": h.actor, "action": h.action,
                         "action_zh": submissions.STEP_ZH.get(h.action, h.action), "state_before": h.state_before,
                         "state_after": h.state_after, "round": h.round, "message": h.message,
                         "detail": json.loads(h.detail or "{}")} for h in submissions.history(s, row.id)]}


@router.get("/returns/{form}/{org_unit}/{period}", summary="A return: its grid, state and history / 报表填报")
def get_return(form: FormCode, org_unit: UnitCode, period: PeriodCode, y: YangfanDep, user: UserDep,
               reporter: Reporter = "") -> dict[str, Any]:
    """Each item with the figure entered, the period before and a year before, units and decimals."""
    f, key = _key(y, user, form, org_unit, reporter, period, fill=False)
    with session_scope(y.engine) as s:
        row, rows = reporting.grid(s, f, key)
        state = _state(s, row, y)
    deadline = f.schedule.deadline(parse_period(period))
    return {"form": f.code, "form_name_zh": f.name_zh, "form_name_en": f.name_en, "org_unit": org_unit,
            "org_unit_name": y.tree.get(org_unit).name_zh, "reporter": reporter,
            "reporter_name": y.tree.get(reporter).name_zh if reporter else "", "period": key.period,
            "deadline": deadline.isoformat(), "fillable": reporting.may_fill(user.grants, Return(org_unit, reporter),
                                                                           y.tree),
            "reviewable": reporting.may_check(user.grants, org_unit, y.tree),
            "rows": [r.as_dict() for r in rows], **state}


def _entered(body: CellsIn, key: ReturnKey) -> dict[CellKey, CellInput]:
    d = Return(key.org_unit, key.reporter).disaggregation
    return {(c.indicator, d): CellInput(c.value, c.explanation) for c in body.cells}


def _known_items(f: Form, body: CellsIn) -> None:
    from yangfan.errors import Issue, Location, YangfanError

    unknown = [c.indicator for c in body.cells if c.indicator not in f.indicator_codes]
    if unknown:
        raise YangfanError([Issue("return.item", f"{code} 不是报表 {f.code} 的项目",
                                  f"{code} is not an item of form {f.code}",
                                  Location(field="indicator", entry=code)) for code in unknown])


@router.put("/returns/{form}/{org_unit}/{period}", summary="Save a draft of a return / 保存草稿")
def save_return(form: FormCode, org_unit: UnitCode, period: PeriodCode, body: CellsIn, y: YangfanDep,
                user: UserDep, reporter: Reporter = "") -> dict[str, Any]:
    """Keep the cells as they are: nothing is checked or released until the return is submitted."""
    f, key = _key(y, user, form, org_unit, reporter, period, fill=True)
    _known_items(f, body)
    with session_scope(y.engine) as s:
        row = submissions.save(s, user.username or "", key, _entered(body, key))
        return {"submission_id": row.id, "state": row.state, "state_zh": submissions.STATE_ZH[row.state]}


@router.post("/returns/{form}/{org_unit}/{period}/validate", summary="Check a return without saving / 审核公式检查")
def validate_return(form: FormCode, org_unit: UnitCode, period: PeriodCode, body: CellsIn, y: YangfanDep,
                    user: UserDep, reporter: Reporter = "") -> dict[str, Any]:
    """Every hard and soft problem of the cells (saved ones filled in), as the submission would find them."""
    f, key = _key(y, user, form, org_unit, reporter, period, fill=False)
    _known_items(f, body)
    with session_scope(y.engine) as s:
        cells = reporting.with_saved(s, submissions.find(s, key), _entered(body, key))
        result = reporting.check_return(s, y.catalog, y.tree, f, key, cells, y.today())
    return {"ok": result.ok, "problems": [p.as_dict() for p in result.problems]}


@router.post("/returns/{form}/{org_unit}/{period}/submit", summary="Submit a return / 提交报表")
def submit_return(form: FormCode, org_unit: UnitCode, period: PeriodCode, body: CellsIn, y: YangfanDep,
                  user: UserDep, reporter: Reporter = "") -> dict[str, Any]:
    """Hard problems and soft ones without an explanation refuse it (422, each problem named); else its
    values are stored for review."""
    f, key = _key(y, user, form, org_unit, reporter, period, fill=True)
    _known_items(f, body)
    with session_scope(y.engine) as s:
        row, written, result = reporting.submit_return(s, y.catalog, y.tree, f, key, _entered(body, key),
                                                       user.username or "", y.today())
        out = {"submission_id": row.id, "state": row.state, "state_zh": submissions.STATE_ZH[row.state],
               "inserted": written.inserted, "revised": written.revised, "unchanged": written.unchanged,
               "explained": [p.as_dict() for p in result.problems if p.explained]}
    y.reporting_changed(key)
    return out


@router.post("/returns/{submission_id}/{step}", summary="Withdraw, return, approve, accept, publish or unlock / 审核")
def step_return(submission_id: Annotated[int, Path(ge=1)],
                step: Literal["withdraw", "return", "approve", "accept", "publish", "unlock"],
                body: StepIn, y: YangfanDep, user: UserDep) -> dict[str, Any]:
    """Reporters withdraw their own submission before review; provincial reviewers return and approve within
    their province; the ministry accepts, publishes and unlocks."""
    def allowed(row: SubmissionRow) -> bool:
        r = Return(row.org_unit_code, row.reporter)
        if step == "withdraw":
            return reporting.may_fill(user.grants, r, y.tree)
        if step in ("accept", "publish"):
            return ministry_level(user.grants)
        if step == "unlock" and row.state != "approved":
            return ministry_level(user.grants)
        return reporting.may_check(user.grants, row.org_unit_code, y.tree)

    step_: Step = step
    with session_scope(y.engine) as s:
        found = s.get(SubmissionRow, submission_id)
        d = Return(found.org_unit_code, found.reporter).disaggregation if found else ""
        row = submissions.act(s, user.username or "", submission_id, step_, allowed, body.message,
                              [(i, d) for i in body.indicators], y.settings.four_eyes)
        out = {"submission_id": row.id, "state": row.state, "state_zh": submissions.STATE_ZH[row.state],
               "round": row.round, "message": row.message}
        key = submissions.key_of(row)
    y.reporting_changed(key)
    return out


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/returns/{form}/{org_unit}/{period}/template.xlsx",
            summary="The Excel template of a return / 下载填报模板",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
def download_template(form: FormCode, org_unit: UnitCode, period: PeriodCode, y: YangfanDep, user: UserDep,
                      reporter: Reporter = "") -> Response:
    """The form's workbook for this return, prefilled with what was entered; it comes back as it is."""
    from yangfan.collect import xlsx_template

    f, key = _key(y, user, form, org_unit, reporter, period, fill=False)
    with session_scope(y.engine) as s:
        _row, rows = reporting.grid(s, f, key)
    name = f"{f.code}_{org_unit}{'_' + reporter if reporter else ''}_{key.period}.xlsx"
    return Response(xlsx_template.write_template(f, key, rows, y.tree, y.catalog), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "a filled form template (.xlsx), or a CSV (UTF-8 or GB18030) / XLSX of "
                                           "data values with a header row (indicator, org_unit, period, value, …; "
                                           "Chinese headers such as 指标, 地区代码, 期间, 数值 are accepted)"}}}}}}}


async def _file(request: Request) -> tuple[bytes, str]:
    from yangfan.errors import YangfanError
    from yangfan.web.api.account import MAX_UPLOAD, file_part

    content, name = await file_part(request)
    if len(content) > MAX_UPLOAD:
        raise YangfanError.single("file.too_large", "文件过大（上限 20 MB）", "file too large (20 MB at most)")
    return content, name or "upload"


@router.post("/uploads/check", summary="Check an uploaded file, writing nothing / 上传前审核",
             openapi_extra=UPLOAD_BODY)
async def check_upload(request: Request, y: YangfanDep, user: UserDep) -> dict[str, Any]:
    """Every hard and soft problem of a template or a file of values, with its sheet, row and column."""
    from starlette.concurrency import run_in_threadpool

    from yangfan.collect.upload import check_file

    content, name = await _file(request)

    def run() -> dict[str, Any]:
        with session_scope(y.engine) as s:
            result = check_file(s, content, name, y.catalog, y.tree, y.forms, y.today(), _seer(user, y))
            s.rollback()
        return {"ok": result.ok, "file": name, "problems": [p.as_dict() for p in result.problems]}
    return await run_in_threadpool(run)


@router.post("/uploads/annotated", summary="The uploaded template with its problem cells marked / 标注问题的工作簿",
             openapi_extra=UPLOAD_BODY, response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def annotated_upload(request: Request, y: YangfanDep, user: UserDep) -> Response:
    """The same workbook back, each problem cell highlighted (red: blocks, amber: needs an explanation) and
    commented, with a list of the problems."""
    from starlette.concurrency import run_in_threadpool

    from yangfan.collect import xlsx_template
    from yangfan.collect.upload import check_file

    content, name = await _file(request)

    def run() -> bytes:
        with session_scope(y.engine) as s:
            result = check_file(s, content, name, y.catalog, y.tree, y.forms, y.today(), _seer(user, y))
            s.rollback()
        return xlsx_template.annotate(content, list(result.problems))
    body = await run_in_threadpool(run)
    stem = name.rsplit(".", 1)[0]
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(stem)}_%E9%97%AE%E9%A2%98.xlsx",
        "Cache-Control": "no-store"})


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


@router.post("/uploads", summary="Upload a filled template (submit the return) or a file of values / 上传报表",
             openapi_extra=UPLOAD_BODY)
async def upload(request: Request, y: YangfanDep, user: UserDep) -> dict[str, Any]:
    """A template submits its return (the same rules as the entry page); a file of values is imported for
    review (the same checks as ``POST /imports``). All or nothing."""
    from starlette.concurrency import run_in_threadpool

    from yangfan.access.permissions import import_status, may_write
    from yangfan.collect.importer import import_content
    from yangfan.collect.upload import read_filled

    content, name = await _file(request)

    def run() -> dict[str, Any]:
        filled = read_filled(content, name)
        if filled is None:
            result = import_content(y.engine, content, name, y.catalog, y.tree, status=import_status(user.grants),
                                    user=user.username or "", allowed=lambda v: may_write(user.grants, v, y.tree))
            y.changed()
            return {"kind": "values", "file": name, "batch_id": result.batch_id, "inserted": result.inserted,
                    "revised": result.revised, "unchanged": result.unchanged, "repeated": result.repeated,
                    "status": import_status(user.grants)}
        f, key = _key(y, user, filled.key.form, filled.key.org_unit, filled.key.reporter, filled.key.period,
                      fill=True)
        with session_scope(y.engine) as s:
            row, written, _result = reporting.submit_return(s, y.catalog, y.tree, f, key, filled.entered,
                                                            user.username or "", y.today(), name, filled.where)
            out = {"kind": "template", "file": name, "submission_id": row.id, "form": key.form,
                   "org_unit": key.org_unit, "reporter": key.reporter, "period": key.period, "state": row.state,
                   "state_zh": submissions.STATE_ZH[row.state], "inserted": written.inserted,
                   "revised": written.revised, "unchanged": written.unchanged}
        y.reporting_changed(key)
        return out
    return await run_in_threadpool(run)


def _seer(user: Principal, y: Any) -> Any:
    """Whose figures a check may quote to this caller: the returns it fills or reviews."""
    return lambda org_unit, reporter: reporting.may_view(user.grants, Return(org_unit, reporter), y.tree)
