"""Server-rendered pages (zh-CN first, English with ``?lang=en``): thin routes over the view models."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from yangfan.access.permissions import may_publish, may_see, reviews_some
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import NATION
from yangfan.store import audit
from yangfan.store.counters import count_download
from yangfan.store.db import session_scope
from yangfan.store.review import pending
from yangfan.web.api.review import submission_record
from yangfan.web.auth import PUBLIC, AdminDep, Principal, PrincipalDep, UserDep
from yangfan.web.builds import pinned_build
from yangfan.web.clients import client_address
from yangfan.web.cockpit import cockpit_rows
from yangfan.web.deps import YangfanDep
from yangfan.web.downloads import download
from yangfan.web.i18n import Lang, base_unit, in_language, scale, texts, unit_name
from yangfan.web.indicator import indicator_view, lineage_view, table
from yangfan.web.mapview import map_view
from yangfan.web.region import region_view

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")


def _num(value: float | None) -> str:
    """A figure with thousands separators, or a dash where there is none."""
    return "—" if value is None else f"{value:,}"


templates.env.filters["num"] = _num
templates.env.filters["in_language"] = in_language
LangParam = Annotated[str | None, Query(pattern="^(zh|en)$")]


def language(value: str | None) -> Lang:
    """The page's language: Chinese unless English is asked for."""
    return "en" if value == "en" else "zh"


def render(request: Request, name: str, principal: Principal, lang: Lang, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """A page with what every page needs: texts, the language switch, the user, the CSRF token."""
    other = "en" if lang == "zh" else "zh"
    return templates.TemplateResponse(request, name, {
        "lang": lang, "t": texts(lang), "switch_url": str(request.url.include_query_params(lang=other)),
        "user": principal.username, "csrf": principal.csrf_token, "path": request.url.path,
        "is_admin": principal.is_administrator, "build": pinned_build(request), **context},
        status_code=status_code)


def warm_up(y: Yangfan) -> None:
    """Compute the cockpit in both languages, so that the first visitor does not wait for it: at start-up, and
    after each build the builder applies."""
    try:
        for lang in ("zh", "en"):
            for plan in y.catalog.plans:
                cockpit_rows(y, plan, lang)
    except YangfanError:  # no analytics table yet: nothing to warm
        pass


def error_page(request: Request, exc: YangfanError, status: int) -> HTMLResponse:
    """A domain error on a page: the message in the page's language, the status code kept."""
    lang = language(request.query_params.get("lang"))
    first = exc.issues[0]
    return render(request, "error.html", PUBLIC, lang, status_code=status, status=status,
                  message=first.message_zh if lang == "zh" else first.message_en)


@router.get("/", response_class=HTMLResponse)
def cockpit(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
            section: str | None = None) -> Response:
    """驾驶舱: every target of the upgrade plan, and how the earlier plans ended. A reporter who just logged in
    (the login page sends everyone here) lands on its obligations instead."""
    language_ = language(lang)
    if urlsplit(request.headers.get("referer", "")).path == "/login" and any(
            g.role in (Role.provincial_reporter, Role.operator_reporter) for g in principal.grants):
        return RedirectResponse(f"/reporting?lang={language_}", status_code=303)
    every = cockpit_rows(y, "sailing-2024", language_)
    sections = list(dict.fromkeys(r.section for r in every))
    rows = [r for r in every if not section or r.section == section]
    ended = [{"title": p.title_zh if language_ == "zh" else p.title_en, "rows": cockpit_rows(y, p.code, language_)}
             for p in y.catalog.plans.values() if p.code != "sailing-2024"]
    return render(request, "cockpit.html", principal, language_, rows=rows, ended=ended, sections=sections,
                  section=section or "", as_of=y.analytics.latest_month(published_only=True).code,
                  trends={r.code: r.trend for r in rows if r.trend})


@router.get("/indicators", response_class=HTMLResponse)
def indicators(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None) -> HTMLResponse:
    """Every indicator of the catalog, with a link to its page."""
    language_ = language(lang)
    with_data = y.analytics.indicators_with_data(principal.published_only)
    return render(request, "indicators.html", principal, language_,
                  indicators=list(y.catalog.indicators.values()), with_data=with_data,
                  units={c: scale(i, language_).unit or base_unit(i, language_)
                         for c, i in y.catalog.indicators.items()})


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator(request: Request, code: str, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
              org_unit: str = NATION, freq: str | None = None) -> HTMLResponse:
    """指标页: definition, formula, clause, series chart with the target line, table, sources, downloads."""
    language_ = language(lang)
    view = indicator_view(y, code, org_unit, freq, principal.published_only, language_)
    return render(request, "indicator.html", principal, language_, view=view, chart=view.chart())


@router.get("/indicators/{code}/lineage", response_class=HTMLResponse)
def indicator_lineage(request: Request, code: str, y: YangfanDep, principal: PrincipalDep, period: str,
                      lang: LangParam = None, org_unit: str = NATION) -> HTMLResponse:
    """溯源: every input of one figure with every source that gives it, sums opened into their parts."""
    language_ = language(lang)
    view = lineage_view(y, code, org_unit, period, principal.published_only, language_)
    return render(request, "lineage.html", principal, language_, view=view)


@router.get("/indicators/{code}/download.{fmt}")
def indicator_download(request: Request, code: str, fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")],
                       y: YangfanDep, principal: PrincipalDep, lang: LangParam = None, org_unit: str = NATION,
                       freq: str | None = None) -> Response:
    """Exactly the table of the indicator page, as CSV or XLSX: users' exports go to the audit log, public
    downloads are counted and limited per client address."""
    if not request.app.state.download_limit.allow(client_address(request)):
        raise YangfanError.single("download.rate_limited", "下载过于频繁，请一分钟后再试",
                                  "too many downloads from this address: try again in a minute")
    language_ = language(lang)
    view = indicator_view(y, code, org_unit, freq, principal.published_only, language_)
    header, rows = table(view, language_)
    t = texts(language_)
    notes = [t["demo_export"]] if view.has_demo else []
    with session_scope(y.engine) as s:
        if principal.is_public:  # counted, not audited: anonymous downloads are not accountable actions
            count_download(s, code, fmt)
        else:  # a signed-in user may export unpublished figures: that is on the record
            audit.append(s, principal.username or "", "export", "indicator", code,
                         after={"org_unit": org_unit, "freq": view.freq, "format": fmt, "rows": len(rows)})
    return download(fmt, f"yangfan-{code}-{org_unit}-{view.freq}", header, rows, notes)


@router.get("/map", response_class=HTMLResponse)
def china_map(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
              indicator: str = "bs_5g_per_10k", period: str | None = None, parent: str = NATION) -> HTMLResponse:
    """地图: a choropleth of one indicator by province, or by city inside one province."""
    language_ = language(lang)
    view = map_view(y, indicator, period, parent, principal.published_only, language_)
    return render(request, "map.html", principal, language_, view=view, data=view.data())


@router.get("/regions/{code}", response_class=HTMLResponse)
def region(request: Request, code: str, y: YangfanDep, principal: PrincipalDep,
           lang: LangParam = None) -> HTMLResponse:
    """地区页: one province or city against the nation, its rank among peers, its progress."""
    language_ = language(lang)
    return render(request, "region.html", principal, language_,
                  view=region_view(y, code, principal.published_only, language_))


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: PrincipalDep, lang: LangParam = None) -> HTMLResponse:
    """登录: the form posts to /api/v1/auth/login from a script (no inline script, CSP)."""
    return render(request, "login.html", principal, language(lang))


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, y: YangfanDep, user: UserDep, lang: LangParam = None) -> HTMLResponse:
    """审核: the values awaiting review or publication that this user may see, with the actions it may take."""
    with session_scope(y.engine) as s:
        rows = [submission_record(r) for r in
                pending(s, ["submitted", "approved"], lambda r: may_see(user.grants, r, y.tree), limit=500)]
    lang_ = language(lang)
    names = {r["indicator"]: y.catalog.indicators[r["indicator"]].name_zh if lang_ == "zh" else r["indicator"]
             for r in rows} | {r["org_unit"]: unit_name(y.tree.get(r["org_unit"]), lang_) for r in rows}
    return render(request, "review.html", user, lang_, rows=rows, names=names,
                  can_review=reviews_some(user.grants), can_publish=may_publish(user.grants))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, y: YangfanDep, principal: AdminDep, lang: LangParam = None,
               actor: str = "", action: str = "", entity: str = "", since: str = "", until: str = "",
               page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    """审计日志, for administrators: filter by actor, action, entity and dates; newest first."""
    f = audit.AuditFilter(actor, action, entity, since, until)
    size = 50
    with session_scope(y.engine) as s:
        total, rows = audit.entries(s, f, size, (page - 1) * size)
        actions = audit.actions(s)
        verdict = audit.verify(s)
        entries = [{"id": r.id, "at": r.at[:19].replace("T", " "), "actor": r.actor, "action": r.action,
                    "entity": r.entity, "entity_id": r.entity_id, "before": r.before, "after": r.after}
                   for r in rows]
    return render(request, "audit.html", principal, language(lang), entries=entries, total=total, filter=f,
                  actions=actions, page=page, pages=max(1, -(-total // size)), verdict=verdict)
