"""名录 pages: the registry list with its search, filters, exports and the records behind a count; one record with
its fields, history, attachments and the actions the user may take on it.

Server-rendered, no script: every action is an HTML form that POSTs with the session's CSRF token, calls one
function of ``registry.records`` or ``registry.intake`` and comes back to the record page saying what happened
(or, refused, with each problem in the page's language and what to do next).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from yangfan.access.accounts import Grant
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import NATION
from yangfan.registry import intake, records
from yangfan.store import audit
from yangfan.store.counters import count_download
from yangfan.store.db import session_scope
from yangfan.store.models import RegistryAttachmentRow, RegistryCallRow, RegistryRecordRow
from yangfan.web.auth import FormUserDep, Principal, PrincipalDep
from yangfan.web.clients import client_address
from yangfan.web.deps import YangfanDep
from yangfan.web.downloads import download
from yangfan.web.i18n import Lang, texts
from yangfan.web.pages import LangParam, language
from yangfan.web.registry_views import (
    MAX_EXPORT,
    PAGE_SIZE,
    Behind,
    Filters,
    RowView,
    Year,
    attachments_of,
    error_lines,
    export_rows,
    field_labels,
    form_values,
    label,
    merged_from,
    ministry_only,
    operators,
    parse_day,
    places,
    readable,
    record_input,
    recount,
    render_page,
    row_view,
    search_of,
    unknown_record,
)
from yangfan.web.responses import error_response

router = APIRouter(include_in_schema=False)
#: An attachment's upload: the PDF (10 MB at most, ``intake.MAX_BYTES``) and the form around it.
ATTACHMENTS = "/registry/attachments"
UPLOAD_LIMIT = intake.MAX_BYTES + 256 * 1024
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=32)]
RecordId = Annotated[int, Path(ge=1)]
Message = Annotated[str, Form(max_length=2000)]
#: What the record page says after an action (the key of its message).
Done = Annotated[str, Query(pattern="^(|created|applied|updated|recognise|reject|withdraw|attach|merge)$")]


@dataclass(frozen=True, slots=True)
class ListView:
    """The list page: the matches of one page, how many in all, the filters' choices."""

    rows: list[RowView]
    total: int
    page: int
    pages: int
    behind: Behind | None
    has_demo: bool


def list_view(y: Yangfan, principal: Principal, f: Filters, page: int, lang: Lang) -> ListView:
    """One page of the records the user may read that match ``f``."""
    search, behind = search_of(y, f, principal.published_only, lang)
    with session_scope(y.engine) as s:
        total, rows = records.search(s, search, y.tree, principal.grants, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        views = [row_view(r, y, lang) for r in rows]
    if behind is not None:
        behind = Behind(**{**{k: getattr(behind, k) for k in Behind.__slots__}, "listed": total})
    return ListView(views, total, page, max(1, -(-total // PAGE_SIZE)), behind, any(v.demo for v in views))


def _choices(y: Yangfan, lang: Lang) -> dict[str, Any]:
    reg = y.registry
    return {"kinds": [(c, label(k, lang), [(cc, label(cl, lang)) for cc, cl in k.categories.items()])
                      for c, k in reg.kinds.items()],
            "sectors": [(c, label(s, lang)) for c, s in reg.sectors.items()],
            "statuses": [(c, label(s, lang)) for c, s in reg.statuses.items()],
            "provinces": [(u.code, u.name_zh if lang == "zh" else (u.name_en or u.name_zh))
                          for u in [y.tree.get(NATION), *y.tree.at_level(1)]],
            "operators": [(c, y.tree.units[c].name_zh if lang == "zh" else y.tree.units[c].name_en)
                          for c in records.OPERATORS if c in y.tree.units],
            "years": list(range(y.today().year, 2018, -1))}


@router.get("/registry", response_class=HTMLResponse)
def registry_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
                  q: Text = "", kind: Code = "", category: Code = "", sector: Code = "", org_unit: Code = "",
                  operator: Code = "", status: Code = "", year: Year = "",
                  indicator: Annotated[str, Query(max_length=64)] = "",
                  period: Annotated[str, Query(max_length=10)] = "",
                  page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """名录: search by name, pinyin initials, credit code or number; filter; the records behind a count."""
    lang_ = language(lang)
    f = Filters.of(q, kind, category, sector, org_unit, operator, status, year, indicator, period)
    view = list_view(y, principal, f, page, lang_)

    def link(**change: Any) -> str:
        return "/registry?" + urlencode({**f.query(**change), "lang": lang_})

    return render_page(request, "registry.html", principal, lang_, y, view=view, f=f, **_choices(y, lang_),
                  prev_url=link(page=page - 1) if page > 1 else "",
                  next_url=link(page=page + 1) if page < view.pages else "",
                  csv_url="/registry/export.csv?" + urlencode({**f.query(), "lang": lang_}),
                  xlsx_url="/registry/export.xlsx?" + urlencode({**f.query(), "lang": lang_}),
                  max_export=MAX_EXPORT)


@router.get("/registry/export.{fmt}")
def registry_export(request: Request, fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")], y: YangfanDep,
                    principal: PrincipalDep, lang: LangParam = None, q: Text = "", kind: Code = "",
                    category: Code = "", sector: Code = "", org_unit: Code = "", operator: Code = "",
                    status: Code = "", year: Year = "",
                    indicator: Annotated[str, Query(max_length=64)] = "",
                    period: Annotated[str, Query(max_length=10)] = "") -> Response:
    """The current list as CSV (UTF-8 with BOM) or XLSX; a user's export is audited, the public's counted."""
    if not request.app.state.download_limit.allow(client_address(request)):
        raise YangfanError.single("download.rate_limited", "下载过于频繁，请一分钟后再试",
                                  "too many downloads from this address: try again in a minute")
    lang_ = language(lang)
    f = Filters.of(q, kind, category, sector, org_unit, operator, status, year, indicator, period)
    search, _behind = search_of(y, f, principal.published_only, lang_)
    with session_scope(y.engine) as s:
        _total, rows = records.search(s, search, y.tree, principal.grants, MAX_EXPORT)
        header, table = export_rows(rows, y, lang_)
        if principal.is_public:
            count_download(s, "registry", fmt)
        else:
            audit.append(s, principal.username or "", "export", "registry", "records",
                         after={**f.query(), "format": fmt, "rows": len(table)})
    notes = [texts(lang_)["rg_demo_export"]] if any(r.demo for r in rows) else []
    return download(fmt, "yangfan-registry", header, table, notes)


# --- one record ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EventView:
    """One event of a record's history, as people read it."""

    at: str
    actor: str
    action: str
    action_text: str
    message: str
    detail: str
    record_id: int


def _detail_text(action: str, detail: dict[str, Any], lang: Lang) -> str:
    t, names = texts(lang), field_labels(lang)
    sep = "；" if lang == "zh" else "; "
    if action == "update":
        return sep.join(f"{names.get(k, k)}: {_plain(old)} → {_plain(new)}" for k, (old, new)
                        in detail.get("changed", {}).items())
    if action == "merge":
        took = ", ".join(f"{names.get(k, k)} {_plain(v)}" for k, v in detail.get("took", {}).items())
        return f"#{detail.get('merged')}" + (f" ({took})" if took else "")
    if action == "merged":
        return f"→ #{detail.get('into')}"
    if action == "attach":
        return str(detail.get("file", ""))
    if action == "recognise":
        return f"{t['rg_valid_from']} {detail.get('valid_from') or ''}".strip()
    if action == "withdraw":
        return f"{t['rg_valid_to']} {detail.get('valid_to') or ''}".strip()
    return ""


def _plain(value: Any) -> str:
    if value in (None, "", {}):
        return "—"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


@dataclass(frozen=True, slots=True)
class RecordView:
    """One record with everything its page shows and the actions the user may take."""

    row: RowView
    kind: str
    category: str
    attrs: list[tuple[str, str]]
    source: str
    call: str
    call_id: int | None
    merged_into: int | None
    created: str
    updated: str
    events: list[EventView]
    attachments: list[dict[str, Any]]
    merged: list[RowView]
    can_edit: bool
    can_decide: bool
    can_withdraw: bool
    can_attach: bool


def _events(s: Session, row: RegistryRecordRow, lang: Lang) -> list[EventView]:
    t = texts(lang)
    return [EventView(e.at.isoformat(sep=" ", timespec="minutes"), e.actor, e.action,
                      t.get(f"rg_act_{e.action}", e.action), e.message,
                      _detail_text(e.action, json.loads(e.detail or "{}"), lang), e.record_id)
            for e in records.history(s, row.id)]


def record_view(s: Session, y: Yangfan, grants: tuple[Grant, ...], row: RegistryRecordRow, lang: Lang) -> RecordView:
    """A record the user may read, as its page shows it."""
    reg = y.registry
    kind = reg.kinds[row.kind]
    attrs = json.loads(row.attrs or "{}")
    call = s.get(RegistryCallRow, row.call_id) if row.call_id else None
    live = row.status != "merged"
    enters = live and records.may_enter(grants, reg, row.kind, row.org_unit_code, row.operator, y.tree)
    decides = records.may_decide(grants)
    return RecordView(
        row_view(row, y, lang), row.kind, row.category,
        [(label(lab, lang), str(attrs.get(code, ""))) for code, lab in kind.attrs.items()],
        row.source, (call.title_zh if lang == "zh" else call.title_en or call.title_zh) if call else "",
        row.call_id, row.merged_into,
        f"{row.created_by} · {row.created_at:%Y-%m-%d %H:%M}" if row.created_at else row.created_by,
        f"{row.updated_at:%Y-%m-%d %H:%M}" if row.updated_at else "",
        _events(s, row, lang),
        [{"id": a.id, "file_name": a.file_name, "size": f"{a.size / 1024:,.0f} KB", "by": a.uploaded_by,
          "at": a.at.isoformat(sep=" ", timespec="minutes"),
          "url": f"/registry/{row.id}/attachments/{a.id}"} for a in attachments_of(s, row.id)],
        [row_view(m, y, lang) for m in merged_from(s, row.id)],
        enters, decides and row.status == "applied", decides and row.status == "recognised", enters)


def done_message(y: Yangfan, done: str, row: RegistryRecordRow, request: Request, lang: Lang) -> str:
    """What the action just taken did, and what comes next."""
    t = texts(lang)
    status = label(y.registry.statuses[row.status], lang) if row.status in y.registry.statuses else row.status
    match done:
        case "created":
            next_ = t["rg_next_applied"] if row.status == "applied" else t["rg_next_recognised"]
            return t["rg_done_created"].format(status=status, next=next_)
        case "applied":
            return t["rg_done_applied"]
        case "updated":
            fields = request.query_params.get("changed", "")
            return t["rg_done_updated"].format(fields=fields) if fields else t["rg_done_unchanged"]
        case "recognise":
            return t["rg_done_recognise"].format(day=row.valid_from or "")
        case "withdraw":
            return t["rg_done_withdraw"].format(day=row.valid_to or "")
        case "attach":
            return t["rg_done_attach"].format(file=request.query_params.get("file", "")[:200])
        case "merge":
            return t["rg_done_merge"].format(drop=request.query_params.get("drop", "")[:12])
        case "reject":
            return t["rg_done_reject"]
    return ""


def record_page(request: Request, y: Yangfan, principal: Principal, record_id: int, lang: Lang,
                status_code: int = 200, done: str = "", error: YangfanError | None = None,
                values: dict[str, str] | None = None, failed: str = "") -> HTMLResponse:
    """The record page; with ``done`` saying what just happened, or with ``error`` and the form ``failed`` that
    caused it, filled in as it was sent."""
    with session_scope(y.engine) as s:
        row = readable(s, y, principal.grants, record_id)
        view = record_view(s, y, principal.grants, row, lang)
        result = done_message(y, done, row, request, lang) if done else ""
        current = form_values(row)
    reg = y.registry
    # Statuses, in the page's language, for the status badge: also the message's {status}.
    return render_page(request, "registry_record.html", principal, lang, y, status_code=status_code, view=view,
                  kind=reg.kinds[view.kind], result=result, failed=failed,
                  errors=error_lines(error, reg, lang) if error else [],
                  values=values if values is not None and failed == "edit" else current,
                  places=places(y.tree, principal.grants, lang) if view.can_edit else [],
                  operators=operators(y.tree, principal.grants, lang) if view.can_edit else [],
                  sectors=[(c, label(sec, lang)) for c, sec in reg.sectors.items()],
                  today=y.today().isoformat())


@router.get("/registry/{record_id}", response_class=HTMLResponse)
def registry_record(request: Request, record_id: RecordId, y: YangfanDep, principal: PrincipalDep,
                    lang: LangParam = None, done: Done = "") -> HTMLResponse:
    """记录: fields, the kind's own fields, history, attachments, merged records, and the user's actions."""
    return record_page(request, y, principal, record_id, language(lang), done=done)


def _back(record_id: int, lang: Lang, done: str, **more: str) -> RedirectResponse:
    """After an action: the record page, saying what happened (a reload does not repeat the action)."""
    query = urlencode({"lang": lang, "done": done, **more})
    return RedirectResponse(f"/registry/{record_id}?{query}", status_code=303)


def refused(request: Request, y: Yangfan, principal: Principal, record_id: int, lang: Lang, exc: YangfanError,
            failed: str, values: dict[str, str] | None = None) -> HTMLResponse:
    """The record page with the refusal (its HTTP status kept) next to the form that was sent."""
    if exc.issues[0].code == "registry.unknown":
        raise exc
    return record_page(request, y, principal, record_id, lang, error_response(exc).status_code, error=exc,
                       values=values, failed=failed)


@router.post("/registry/{record_id}/edit", response_class=HTMLResponse)
async def edit_record(request: Request, record_id: RecordId, y: YangfanDep, principal: FormUserDep,
                      lang: LangParam = None) -> Response:
    """Save the edit form: the record's fields (not its kind); what changed goes into its history."""
    lang_ = language(lang)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}

    def save() -> dict[str, Any]:
        with session_scope(y.engine) as s:
            row = readable(s, y, principal.grants, record_id)
            r = records_input(form, y, row)
            return records.update(s, y.registry, y.tree, principal.grants, principal.username or "", row, r,
                                  form.get("message", "")[:2000])

    try:
        changed = await run_in_threadpool(save)
    except YangfanError as exc:
        return await run_in_threadpool(refused, request, y, principal, record_id, lang_, exc, "edit", form)
    if changed:
        recount(y)
    names = field_labels(lang_)
    fields = ("、" if lang_ == "zh" else ", ").join(names.get(k, k) for k in changed)
    return _back(record_id, lang_, "updated", **({"changed": fields} if fields else {}))


def records_input(form: dict[str, str], y: Yangfan, row: RegistryRecordRow) -> records.RecordInput:
    """The edit form's record: the kind is the record's own, whatever the form says."""
    return record_input({**form, "kind": row.kind}, y.registry, row.call_id)


@router.post("/registry/{record_id}/withdraw", response_class=HTMLResponse)
def withdraw_record(request: Request, record_id: RecordId, y: YangfanDep, principal: FormUserDep,
                    message: Message = "",
                    valid_to: Annotated[str, Form(max_length=20)] = "", lang: LangParam = None) -> Response:
    """撤销 a recognised record with a reason: it counts up to its end date and no longer after."""
    lang_ = language(lang)
    ministry_only(principal.grants)
    try:
        with session_scope(y.engine) as s:
            row = readable(s, y, principal.grants, record_id)
            records.withdraw(s, principal.grants, principal.username or "", row, message,
                             parse_day(valid_to, "valid_to"))
    except YangfanError as exc:
        return refused(request, y, principal, record_id, lang_, exc, "withdraw")
    recount(y)
    return _back(record_id, lang_, "withdraw")


@router.post(ATTACHMENTS, response_class=HTMLResponse)
async def upload_attachment(request: Request, y: YangfanDep, principal: FormUserDep,
                            record_id: Annotated[int, Form(ge=1)], file: Annotated[UploadFile, File()],
                            lang: LangParam = None) -> Response:
    """Attach a PDF to a record (10 MB at most, checked by its bytes); stored outside the web root."""
    lang_ = language(lang)
    content = await file.read(intake.MAX_BYTES + 1)
    name = (file.filename or "attachment.pdf").replace("\\", "/").rsplit("/", 1)[-1]

    def attach() -> str:
        with session_scope(y.engine) as s:
            row = readable(s, y, principal.grants, record_id)
            return intake.attach(s, y.settings.attachments_dir, principal.grants, y.registry, y.tree,
                                 principal.username or "", row, name, content).file_name

    try:
        stored = await run_in_threadpool(attach)
    except YangfanError as exc:
        return await run_in_threadpool(refused, request, y, principal, record_id, lang_, exc, "attach")
    return _back(record_id, lang_, "attach", file=stored)


@router.get("/registry/{record_id}/attachments/{attachment_id}")
def download_attachment(record_id: RecordId, attachment_id: Annotated[int, Path(ge=1)], y: YangfanDep,
                        principal: PrincipalDep) -> Response:
    """An attachment's PDF, for those who may read its record; always a download, never shown inline."""
    with session_scope(y.engine) as s:
        readable(s, y, principal.grants, record_id)
        a = s.get(RegistryAttachmentRow, attachment_id)
        if a is None or a.record_id != record_id:
            raise unknown_record(record_id)
        path, name = intake.attachment_path(y.settings.attachments_dir, a), a.file_name
    if not path.is_file():
        raise unknown_record(record_id)
    return FileResponse(path, media_type="application/pdf", filename=name, content_disposition_type="attachment",
                        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
