"""How records come into the registries, as pages: a new record, calls for applications (征集) and applying to
one with its PDF, the ministry's review of applications, possible duplicates and their merge, and bulk import.

Forms POST with the session's CSRF token and call one function of ``registry.records``, ``registry.intake`` or
``registry.dedup``; a success leads to the record (or list) saying what happened, a refusal shows the form again
with each problem in the page's language. The import page checks and imports through the API from its script
(``static/registry.js``), so that the file chosen stays in the page between the check and the import.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.registry import dedup, intake, records
from yangfan.registry.intake import CallInput
from yangfan.registry.records import Search
from yangfan.store.db import session_scope
from yangfan.store.models import RegistryCallRow, RegistryRecordRow
from yangfan.web.auth import FormUserDep, Principal, PrincipalDep
from yangfan.web.deps import YangfanDep
from yangfan.web.i18n import Lang, texts
from yangfan.web.pages import LangParam, language
from yangfan.web.registry_pages import Message, RecordId, refused
from yangfan.web.registry_views import (
    attachments_of,
    call_state,
    enterable_kinds,
    error_lines,
    label,
    ministry_only,
    operators,
    parse_day,
    places,
    readable,
    record_input,
    recount,
    render_page,
    row_view,
)
from yangfan.web.responses import error_response

router = APIRouter(include_in_schema=False)
#: An application's form with its PDF (``intake.MAX_BYTES``) posts here; the body limit is per path.
APPLICATIONS = "/registry/applications"
#: The most applications and duplicate pairs one page lists.
REVIEW_PAGE = 100
DUPLICATES_SHOWN = 50
CallId = Annotated[int, Path(ge=1)]
Title = Annotated[str, Form(max_length=200)]


def _login(lang: Lang) -> RedirectResponse:
    return RedirectResponse(f"/login?lang={lang}", status_code=303)


def _enterer(principal: Principal, y: Yangfan) -> list[str]:
    """The kinds the user may enter; refused (403) when there are none."""
    kinds = enterable_kinds(principal.grants, y.registry)
    if not kinds:
        raise YangfanError.single("permission.registry", texts("zh")["rg_no_kinds"], texts("en")["rg_no_kinds"])
    return kinds


def _form_context(y: Yangfan, principal: Principal, lang: Lang) -> dict[str, Any]:
    reg = y.registry
    return {"places": places(y.tree, principal.grants, lang), "operators": operators(y.tree, principal.grants, lang),
            "sectors": [(c, label(s, lang)) for c, s in reg.sectors.items()]}


def _fields(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


# --- a new record ------------------------------------------------------------------------------------------------

def _new_page(request: Request, y: Yangfan, principal: Principal, lang: Lang, kind: str, status_code: int = 200,
              values: dict[str, str] | None = None, error: YangfanError | None = None) -> HTMLResponse:
    kinds = _enterer(principal, y)
    reg = y.registry
    chosen = kind if kind in kinds else ""
    return render_page(request, "registry_new.html", principal, lang, y, status_code=status_code,
                  kinds=[(c, label(reg.kinds[c], lang)) for c in kinds], chosen=chosen,
                  kind=reg.kinds[chosen] if chosen else None, values=values or {},
                  errors=error_lines(error, reg, lang) if error else [], **_form_context(y, principal, lang))


@router.get("/registry/new", response_class=HTMLResponse)
def new_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
             kind: Annotated[str, Query(max_length=24)] = "") -> Response:
    """新增记录: choose a kind the user may enter, then its form (the kind's categories and fields)."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    return _new_page(request, y, principal, lang_, kind)


@router.post("/registry/new", response_class=HTMLResponse)
async def create_record(request: Request, y: YangfanDep, principal: FormUserDep,
                        lang: LangParam = None) -> Response:
    """Enter a record: the ministry's and operators' own count as entered, a province's await recognition."""
    lang_ = language(lang)
    form = _fields(await request.form())

    def create() -> int:
        with session_scope(y.engine) as s:
            r = record_input(form, y.registry)
            return records.create(s, y.registry, y.tree, principal.grants, principal.username or "", r).id

    try:
        record_id = await run_in_threadpool(create)
    except YangfanError as exc:
        return await run_in_threadpool(_new_page, request, y, principal, lang_, form.get("kind", ""),
                                       error_response(exc).status_code, form, exc)
    recount(y)
    return RedirectResponse(f"/registry/{record_id}?{urlencode({'lang': lang_, 'done': 'created'})}",
                            status_code=303)


# --- calls and applications ------------------------------------------------------------------------------------

def _calls_page(request: Request, y: Yangfan, principal: Principal, lang: Lang, status_code: int = 200,
                error: YangfanError | None = None, values: dict[str, str] | None = None,
                result: str = "") -> HTMLResponse:
    reg, today = y.registry, y.today()
    with session_scope(y.engine) as s:
        rows = [{"id": c.id, "title": c.title_zh if lang == "zh" else c.title_en or c.title_zh,
                 "kind": label(reg.kinds[c.kind], lang) if c.kind in reg.kinds else c.kind,
                 "category": label(reg.kinds[c.kind].categories[c.category], lang)
                 if c.kind in reg.kinds and c.category in reg.kinds[c.kind].categories else "",
                 "description": c.description, "opens": c.opens.isoformat(), "closes": c.closes.isoformat(),
                 "state": call_state(c, today), "applications": n} for c, n in intake.calls(s)]
    return render_page(request, "registry_calls.html", principal, lang, y, status_code=status_code, calls=rows,
                  may_open=records.may_decide(principal.grants), values=values or {}, result=result,
                  errors=error_lines(error, reg, lang) if error else [],
                  kinds=[(c, label(k, lang), [(cc, label(cl, lang)) for cc, cl in k.categories.items()])
                         for c, k in reg.kinds.items()], today=today.isoformat())


@router.get("/registry/calls", response_class=HTMLResponse)
def calls_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
               done: Annotated[int | None, Query(ge=1)] = None) -> HTMLResponse:
    """征集: open and closed calls with their applications; the ministry opens new ones here."""
    lang_ = language(lang)
    result = ""
    if done is not None:
        with session_scope(y.engine) as s:
            c = s.get(RegistryCallRow, done)
            if c is not None:
                result = texts(lang_)["rg_done_call"].format(
                    title=c.title_zh if lang_ == "zh" else c.title_en or c.title_zh, opens=c.opens, closes=c.closes)
    return _calls_page(request, y, principal, lang_, result=result)


@router.post("/registry/calls", response_class=HTMLResponse)
def open_call(request: Request, y: YangfanDep, principal: FormUserDep, kind: Annotated[str, Form(max_length=24)],
              title_zh: Title, opens: Annotated[str, Form(max_length=20)], closes: Annotated[str, Form(max_length=20)],
              category: Annotated[str, Form(max_length=32)] = "", title_en: Title = "",
              description: Annotated[str, Form(max_length=4000)] = "", lang: LangParam = None) -> Response:
    """Open a call (the ministry)."""
    lang_ = language(lang)
    values = {"kind": kind, "category": category, "title_zh": title_zh, "title_en": title_en,
              "description": description, "opens": opens, "closes": closes}
    ministry_only(principal.grants)
    try:
        first, last = parse_day(opens, "opens"), parse_day(closes, "closes")
        if first is None or last is None:
            raise YangfanError.single("registry.call", "征集须有开始和截止日期",
                                      "a call needs its opening and closing dates")
        with session_scope(y.engine) as s:
            call = intake.open_call(s, y.registry, principal.grants, principal.username or "",
                                    CallInput(kind, category, title_zh, title_en, description, first, last))
            call_id = call.id
    except YangfanError as exc:
        return _calls_page(request, y, principal, lang_, error_response(exc).status_code, exc, values)
    return RedirectResponse(f"/registry/calls?{urlencode({'lang': lang_, 'done': call_id})}", status_code=303)


def _call(y: Yangfan, call_id: int) -> dict[str, Any]:
    with session_scope(y.engine) as s:
        c = s.get(RegistryCallRow, call_id)
        if c is None:
            raise YangfanError.single("registry.unknown", texts("zh")["rg_call_unknown"].format(id=call_id),
                                      texts("en")["rg_call_unknown"].format(id=call_id))
        return {"id": c.id, "kind": c.kind, "category": c.category, "title_zh": c.title_zh,
                "title_en": c.title_en or c.title_zh, "description": c.description, "opens": c.opens,
                "closes": c.closes, "state": call_state(c, y.today())}


def _apply_page(request: Request, y: Yangfan, principal: Principal, lang: Lang, call_id: int,
                status_code: int = 200, values: dict[str, str] | None = None,
                error: YangfanError | None = None) -> HTMLResponse:
    call = _call(y, call_id)
    reg = y.registry
    return render_page(request, "registry_apply.html", principal, lang, y, status_code=status_code, call=call,
                  kind_code=call["kind"], kind=reg.kinds[call["kind"]],
                  values={"category": call["category"], **(values or {})},
                  errors=error_lines(error, reg, lang) if error else [], **_form_context(y, principal, lang))


@router.get("/registry/calls/{call_id}/apply", response_class=HTMLResponse)
def apply_page(request: Request, call_id: CallId, y: YangfanDep, principal: PrincipalDep,
               lang: LangParam = None) -> Response:
    """申报: the application form of a call, with its PDF evidence in the same form."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    return _apply_page(request, y, principal, lang_, call_id)


@router.post(APPLICATIONS, response_class=HTMLResponse)
async def submit_application(request: Request, y: YangfanDep, principal: FormUserDep,
                             lang: LangParam = None) -> Response:
    """An application and its PDF, written together or not at all: a refused PDF leaves no application."""
    lang_ = language(lang)
    form = await request.form()
    fields = _fields(form)
    upload = form.get("file")
    try:
        call_id = int(fields.get("call_id", ""))
    except ValueError:
        raise YangfanError.single("registry.unknown", "缺少征集编号", "the call is missing") from None
    content = await upload.read(intake.MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    name = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]

    def apply() -> int:
        call = _call(y, call_id)
        r = record_input({**fields, "kind": call["kind"]}, y.registry, call_id)
        with session_scope(y.engine) as s:
            row = intake.apply(s, y.registry, y.tree, principal.grants, principal.username or "", call_id, r,
                               y.today())
            if not content:
                raise YangfanError.single("registry.attachment_missing", texts("zh")["rg_file_missing"],
                                          texts("en")["rg_file_missing"])
            intake.attach(s, y.settings.attachments_dir, principal.grants, y.registry, y.tree,
                          principal.username or "", row, name or "application.pdf", content)
            return row.id

    try:
        record_id = await run_in_threadpool(apply)
    except YangfanError as exc:
        return await run_in_threadpool(_apply_page, request, y, principal, lang_, call_id,
                                       error_response(exc).status_code, fields, exc)
    recount(y)
    return RedirectResponse(f"/registry/{record_id}?{urlencode({'lang': lang_, 'done': 'applied'})}",
                            status_code=303)


# --- the ministry's review ---------------------------------------------------------------------------------------

def review_page(request: Request, y: Yangfan, principal: Principal, lang: Lang, status_code: int = 200,
                error: YangfanError | None = None, failed: int | None = None) -> HTMLResponse:
    """The applications awaiting a decision, oldest first, each with its decision form."""
    ministry_only(principal.grants)
    done, done_id = request.query_params.get("done", ""), request.query_params.get("id", "")
    t = texts(lang)
    with session_scope(y.engine) as s:
        total, rows = records.search(s, Search(status="applied"), y.tree, principal.grants, REVIEW_PAGE)
        calls = {c.id: (c.title_zh if lang == "zh" else c.title_en or c.title_zh) for c, _n in intake.calls(s)}
        items = [{"view": row_view(r, y, lang), "call": calls.get(r.call_id or 0, ""),
                  "applied": f"{r.created_at:%Y-%m-%d}" if r.created_at else "",
                  "files": len(attachments_of(s, r.id))} for r in sorted(rows, key=lambda r: r.id)]
    result = ""
    if done in ("recognise", "reject") and done_id.isdigit():
        with session_scope(y.engine) as s:
            decided = s.get(RegistryRecordRow, int(done_id))
            day = decided.valid_from if decided is not None else ""
        result = f"#{done_id} · " + (t["rg_done_recognise"].format(day=day) if done == "recognise"
                                     else t["rg_done_reject"])
    return render_page(request, "registry_review.html", principal, lang, y, status_code=status_code, items=items,
                  total=total, result=result, done_id=done_id, failed=failed,
                  errors=error_lines(error, y.registry, lang) if error else [])


@router.get("/registry/review", response_class=HTMLResponse)
def review(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None) -> Response:
    """待认定申报: applications awaiting the ministry's decision, with recognise and reject on each."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    return review_page(request, y, principal, lang_)


@router.post("/registry/{record_id}/decision", response_class=HTMLResponse)
def decide_record(request: Request, record_id: RecordId, y: YangfanDep, principal: FormUserDep,
                  decision: Annotated[str, Form(pattern="^(recognise|reject)$")],
                  message: Message = "", valid_from: Annotated[str, Form(max_length=20)] = "",
                  back: Annotated[str, Form(pattern="^(|review)$")] = "", lang: LangParam = None) -> Response:
    """认定 or 驳回 an application (the ministry); a rejection needs a reason. From the review page the answer is
    the review page again."""
    lang_ = language(lang)
    ministry_only(principal.grants)
    try:
        with session_scope(y.engine) as s:
            row = readable(s, y, principal.grants, record_id)
            records.decide(s, principal.grants, principal.username or "", row,
                           "recognise" if decision == "recognise" else "reject", message,
                           parse_day(valid_from, "valid_from"))
    except YangfanError as exc:
        if back == "review":
            return review_page(request, y, principal, lang_, error_response(exc).status_code, exc, record_id)
        return refused(request, y, principal, record_id, lang_, exc, "decision")
    recount(y)
    if back == "review":
        query = urlencode({"lang": lang_, "done": decision, "id": record_id})
        return RedirectResponse(f"/registry/review?{query}", status_code=303)
    return RedirectResponse(f"/registry/{record_id}?{urlencode({'lang': lang_, 'done': decision})}",
                            status_code=303)


# --- duplicates ------------------------------------------------------------------------------------------------

def duplicates_page(request: Request, y: Yangfan, principal: Principal, lang: Lang, kind: str,
                    status_code: int = 200, error: YangfanError | None = None) -> HTMLResponse:
    """Pairs of possible duplicates side by side, most alike first, each with its merge form."""
    ministry_only(principal.grants)
    reg = y.registry
    with session_scope(y.engine) as s:
        found = dedup.find(s, kind if kind in reg.kinds else None)
        pairs = [{"a": row_view(d.a, y, lang), "b": row_view(d.b, y, lang), "score": round(d.score, 1),
                  "reason": dedup.REASONS[d.reason][0 if lang == "zh" else 1]} for d in found[:DUPLICATES_SHOWN]]
    return render_page(request, "registry_duplicates.html", principal, lang, y, status_code=status_code, pairs=pairs,
                  total=len(found), kind=kind, kinds=[(c, label(k, lang)) for c, k in reg.kinds.items()],
                  errors=error_lines(error, reg, lang) if error else [])


@router.get("/registry/duplicates", response_class=HTMLResponse)
def duplicates(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
               kind: Annotated[str, Query(max_length=24)] = "") -> Response:
    """疑似重复: the same credit code or number, or names alike; merge with a choice of which record stays."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    return duplicates_page(request, y, principal, lang_, kind)


@router.post("/registry/merge", response_class=HTMLResponse)
def merge_records(request: Request, y: YangfanDep, principal: FormUserDep,
                  keep: Annotated[int, Form(ge=1)], pair: Annotated[str, Form(pattern=r"^\d{1,15},\d{1,15}$")],
                  message: Message = "", kind: Annotated[str, Form(max_length=24)] = "",
                  lang: LangParam = None) -> Response:
    """Merge the pair's other record into ``keep`` (the ministry): the kept record shows both histories."""
    lang_ = language(lang)
    a, b = (int(i) for i in pair.split(","))
    drop = b if keep == a else a
    ministry_only(principal.grants)
    try:
        if keep not in (a, b):
            raise YangfanError.single("registry.merge", "请选择这一对记录中保留的一条",
                                      "choose which of the pair to keep")
        with session_scope(y.engine) as s:
            kept, dropped = readable(s, y, principal.grants, keep), readable(s, y, principal.grants, drop)
            records.merge(s, principal.grants, principal.username or "", kept, dropped, message)
    except YangfanError as exc:
        return duplicates_page(request, y, principal, lang_, kind, error_response(exc).status_code, exc)
    recount(y)
    return RedirectResponse(f"/registry/{keep}?{urlencode({'lang': lang_, 'done': 'merge', 'drop': drop})}",
                            status_code=303)


# --- import ------------------------------------------------------------------------------------------------------

@router.get("/registry/import", response_class=HTMLResponse)
def import_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None) -> Response:
    """批量导入: check a file (nothing written), see what it would do, then import it; a refused file lists
    every problem by row and field."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    _enterer(principal, y)
    t = texts(lang_)
    keys = ("rg_import_checking", "rg_import_importing", "rg_import_plan", "rg_import_done", "rg_import_repeated",
            "rg_import_rejected", "rg_import_choose", "rg_import_network", "rg_refused")
    return render_page(request, "registry_import.html", principal, lang_, y,
                  script_texts={k: t[k] for k in keys} | {"lang": lang_})

