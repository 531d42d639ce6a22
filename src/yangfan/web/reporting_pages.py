"""填报 pages for reporters, server-rendered; their scripts call the returns API (``api/returns``).

``/reporting`` lists what the user owes, ``/reporting/calendar`` when each form opens and is due,
``/reporting/{form}/{org_unit}/{period}`` is the entry grid of one return and ``/reporting/upload`` checks and
submits a filled template or a file of values. The obligations, the grid and the rules are those of
``collect.reporting``, which the API and the CLI use too: these routes only choose, sort and word them.
"""

from __future__ import annotations

import calendar
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from yangfan.access.accounts import Grant
from yangfan.access.roles import Role
from yangfan.catalog import Indicator
from yangfan.collect import reporting
from yangfan.collect.forms import Form, Return, form_or_error
from yangfan.collect.reporting import GridRow, Obligation
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period, parse_period
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.store.models import SubmissionEventRow
from yangfan.web.auth import Principal, PrincipalDep
from yangfan.web.deps import YangfanDep
from yangfan.web.i18n import Lang, base_unit, texts, unit_name
from yangfan.web.pages import LangParam, language, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
#: Roles that report: scoped reporters for their province or operator, ministry analysts the departments' returns.
REPORTING_ROLES = frozenset({Role.provincial_reporter, Role.operator_reporter, Role.ministry_analyst})
SCOPED_REPORTERS = frozenset({Role.provincial_reporter, Role.operator_reporter})
RECEIVED = ("submitted", "approved", "accepted", "published")
#: The state filter of the list: the counts' groups, then each state.
FILTERS: dict[str, Callable[[Obligation], bool]] = {
    "todo": lambda o: o.state in ("not_started", "draft"),
    "returned": lambda o: o.state == "returned",
    "overdue": lambda o: o.overdue,
    "received": lambda o: o.state in RECEIVED,
    **{s: (lambda o, s=s: o.state == s) for s in ("not_started", "draft", *RECEIVED)},  # type: ignore[misc]
}
FILTER_LABELS = {"todo": "rp_count_todo", "returned": "rp_count_returned", "overdue": "rp_count_overdue",
                 "received": "rp_count_submitted"}
FormCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9]{1,15}$")]
UnitCode = Annotated[str, Path(max_length=32)]
PeriodCode = Annotated[str, Path(max_length=10)]
Reporter = Annotated[str, Query(max_length=32)]
Short = Annotated[str, Query(max_length=32)]
#: What a script asks the entry page to say after it reloaded it.
Done = Annotated[str, Query(pattern="^(|saved|submitted|withdrawn)$")]
#: The texts the pages' scripts write (the page passes them in its JSON data block).
SCRIPT_TEXTS = ("rp_fullwidth", "rp_not_number", "rp_need_explanation", "rp_checking", "rp_check_ok",
                "rp_check_blocked", "rp_empty_cells", "rp_fix_format", "rp_failed", "rp_network", "rp_mom", "rp_yoy",
                "rp_sev_hard", "rp_sev_soft", "rp_sev_explained", "rp_row_col", "rp_upload_ok",
                "rp_upload_ok_explained", "rp_upload_blocked", "rp_upload_template_done", "rp_upload_values_done",
                "rp_open_return", "rp_choose_file", "rp_annotated_done", "status_submitted", "status_approved")


def owes(grants: Sequence[Grant], r: Return, tree: OrgUnitTree) -> bool:
    """The returns a user reports itself: a reporter's province's or operator's, and the departments' returns for
    the ministry's analysts (who may fill any return, but report only those)."""
    return any(reporting.may_fill([g], r, tree) if g.role in SCOPED_REPORTERS
               else g.role == Role.ministry_analyst and r.reporter_is_unit for g in grants)


def entry_url(form: str, org_unit: str, reporter: str, period: str, lang: Lang, **more: str) -> str:
    """The entry page of a return."""
    query = {**({"reporter": reporter} if reporter else {}), "lang": lang, **more}
    return f"/reporting/{form}/{org_unit}/{period}?{urlencode(query)}"


def _login(lang: Lang) -> Response:
    return RedirectResponse(f"/login?lang={lang}", status_code=303)


def _name(unit: str, tree: OrgUnitTree, lang: Lang) -> str:
    return unit_name(tree.get(unit), lang) if unit in tree.units else unit


def _form_name(form: Form, lang: Lang) -> str:
    return form.name_zh if lang == "zh" else form.name_en


def _days(o: Obligation, t: dict[str, str]) -> str:
    if o.state in RECEIVED:
        return t["rp_on_time"] if o.on_time else t["rp_late"]
    n = o.days_left
    return t["rp_days_overdue"].format(n=-n) if n < 0 else t["rp_due_today"] if n == 0 else \
        t["rp_days_left"].format(n=n)


def _obligation(o: Obligation, y: Yangfan, lang: Lang, t: dict[str, str]) -> dict[str, Any]:
    reminder = o.form.schedule.reminding(o.period, o.today) and o.state not in RECEIVED
    return {"form": o.form.code, "form_name": _form_name(o.form, lang), "org_unit": _name(o.ret.org_unit, y.tree, lang),
            "reporter": _name(o.ret.reporter, y.tree, lang) if o.ret.reporter else t["rp_own_unit"],
            "period": str(o.period), "deadline": o.deadline.isoformat(), "days": _days(o, t), "state": o.state,
            "state_text": t[f"rp_state_{o.state}"], "message": o.message, "round": o.round,
            "css": "overdue" if o.overdue else "reminder" if reminder else "",
            "action": t["rp_fix"] if o.state == "returned" else t["rp_fill"] if o.state in ("not_started", "draft")
            else t["rp_view"],
            "url": entry_url(o.form.code, o.ret.org_unit, o.ret.reporter, str(o.period), lang)}


def _mine(y: Yangfan, principal: Principal) -> list[Obligation]:
    with session_scope(y.engine) as s:
        return reporting.obligations(s, y.forms, y.tree, y.today(), lambda r: owes(principal.grants, r, y.tree))


@router.get("/reporting")
def obligations_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
                     form: Short = "", state: Short = "", period: Short = "", org_unit: Short = "",
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """我的填报: what the user owes, returned ones on top with the reviewer's message, counts and filters."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    t = texts(lang_)
    reports = any(g.role in REPORTING_ROLES for g in principal.grants)
    mine = _mine(y, principal) if reports else []
    counts = counts_of(mine)
    chosen = [o for o in mine if (not form or o.form.code == form) and (state not in FILTERS or FILTERS[state](o))
              and (not period or str(o.period) == period) and (not org_unit or o.ret.org_unit == org_unit)]
    # Returned ones first, then the newest deadline first; the areas in code order (北京 first) within a deadline.
    chosen.sort(key=lambda o: (o.state != "returned", -o.deadline.toordinal(), o.form.code, o.ret.org_unit,
                               o.ret.reporter))
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(page, pages)
    filters = {"form": form, "state": state if state in FILTERS else "", "period": period, "org_unit": org_unit}

    def link(**change: Any) -> str:
        query = {k: v for k, v in {**filters, "lang": lang_, **change}.items() if v}
        return "/reporting?" + urlencode(query)

    units = sorted({o.ret.org_unit for o in mine})
    return render(request, "reporting.html", principal, lang_, reports=reports,
                  reviewer=any(g.role == Role.provincial_reviewer for g in principal.grants),
                  counts=counts, labels=FILTER_LABELS, filters=filters, total=len(chosen), page=page, pages=pages,
                  rows=[_obligation(o, y, lang_, t) for o in chosen[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]],
                  returned=[_obligation(o, y, lang_, t) for o in mine if o.state == "returned"],
                  forms=[(c, _form_name(y.forms[c], lang_)) for c in dict.fromkeys(o.form.code for o in mine)],
                  periods=sorted({str(o.period) for o in mine if not form or o.form.code == form}, reverse=True),
                  units=[(u, _name(u, y.tree, lang_)) for u in units] if len(units) > 1 else [],
                  states=[(k, t[FILTER_LABELS.get(k, f"rp_state_{k}")]) for k in FILTERS],
                  prev_url=link(page=page - 1) if page > 1 else "",
                  next_url=link(page=page + 1) if page < pages else "",
                  count_urls={k: link(state=k, page=None) for k in FILTER_LABELS}, today=y.today().isoformat())


def _month(text: str, today: date) -> Period:
    try:
        p = parse_period(text) if text else None
    except YangfanError:
        p = None
    return p if p is not None and p.type == "month" else Period(today.year, "month", today.month)


def _calendar_events(forms: dict[str, Form], first: date, last: date, open_by: dict[tuple[str, str], list[Obligation]],
                     today: date, lang: Lang) -> list[dict[str, Any]]:
    """Each form's openings and deadlines between ``first`` and ``last``, with the user's open returns on the
    deadlines."""
    out = []
    for f in forms.values():
        p = f.first_period
        while f.schedule.opens(p) <= last:
            for kind, day in (("opens", f.schedule.opens(p)), ("deadline", f.schedule.deadline(p))):
                if first <= day <= last:
                    mine = open_by.get((f.code, str(p)), []) if kind == "deadline" else []
                    out.append({"day": day, "kind": kind, "form": f.code, "form_name": _form_name(f, lang),
                                "period": str(p), "open": len(mine), "overdue": bool(mine) and day < today,
                                "reminder": bool(mine) and f.schedule.reminding(p, today),
                                "url": f"/reporting?{urlencode({'form': f.code, 'period': str(p), 'lang': lang})}"})
            p = p.shift(1)
    out.sort(key=lambda e: (e["day"], e["kind"] != "deadline", e["form"], e["period"]))
    return out


@router.get("/reporting/calendar")
def calendar_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
                  month: Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")] = "",
                  view: Annotated[str, Query(pattern="^(grid|list)$")] = "grid") -> Response:
    """填报日历: this month and the next, each form's openings and deadlines and the user's open returns."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    t, today = texts(lang_), y.today()
    first = _month(month, today)
    months = [first, first.shift(1)]
    start, end = months[0].start, date(months[1].year, months[1].last_month,
                                       calendar.monthrange(months[1].year, months[1].last_month)[1])
    mine = _mine(y, principal) if any(g.role in REPORTING_ROLES for g in principal.grants) else []
    open_by: dict[tuple[str, str], list[Obligation]] = defaultdict(list)
    for o in mine:
        if o.state not in RECEIVED:
            open_by[(o.form.code, str(o.period))].append(o)
    events = _calendar_events(y.forms, start, end, open_by, today, lang_)
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        by_day[e["day"]].append(e)
    grids = [{"title": t["rp_month_title"].format(year=m.year, month=m.last_month,
                                                  month_en=calendar.month_name[m.last_month]),
              "weeks": [[{"day": d, "in_month": d.month == m.last_month, "today": d == today,
                          "events": by_day.get(d, [])} for d in week]
                        for week in calendar.Calendar(0).monthdatescalendar(m.year, m.last_month)]}
             for m in months]

    def link(**change: str) -> str:
        return "/reporting/calendar?" + urlencode({"month": first.code, "view": view, "lang": lang_, **change})

    return render(request, "calendar.html", principal, lang_, grids=grids, events=events, view=view,
                  weekdays=t["rp_weekdays"].split(), today=today,
                  overdue=sum(1 for o in mine if o.overdue), owed={o.form.code for o in mine},
                  prev_url=link(month=first.shift(-1).code), next_url=link(month=first.shift(1).code),
                  this_url=link(month=Period(today.year, "month", today.month).code),
                  grid_url=link(view="grid"), list_url=link(view="list"))


def _decimals(ind: Indicator) -> int:
    """Decimal places of a figure in the base unit: the display unit's, less the digits its divisor moves."""
    return max(0, ind.decimals - round(math.log10(ind.display_divisor))) if ind.display_divisor >= 1 else ind.decimals


def _plain(value: float | None) -> str:
    """A figure as the input shows it: no separators, no exponent."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.10f}".rstrip("0").rstrip(".")


def _shown(value: float | None, decimals: int) -> str:
    return "—" if value is None else f"{value:,.{decimals}f}"


def _figure(value: float | None) -> str:
    """A figure of the history, as entered, with thousands separators."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.10f}".rstrip("0").rstrip(".")


def _cell(g: GridRow, lang: Lang) -> dict[str, Any]:
    ind, dec = g.indicator, _decimals(g.indicator)
    return {"code": ind.code, "name": ind.name_zh if lang == "zh" else ind.name_en, "unit": base_unit(ind, lang),
            "decimals": dec, "period": g.period, "value": _plain(g.value), "previous": g.previous,
            "year_before": g.year_before, "previous_text": _shown(g.previous, dec),
            "year_before_text": _shown(g.year_before, dec), "explanation": g.explanation, "locked": g.locked,
            "flagged": g.flagged, "divisor": ind.display_divisor, "display_unit": ind.display_unit,
            "display_decimals": ind.decimals}


def _event(e: SubmissionEventRow, names: dict[str, str], t: dict[str, str]) -> dict[str, Any]:
    detail = json.loads(e.detail or "{}")
    cells = []
    for c in detail.get("cells", []):
        if isinstance(c, dict):
            old, new = (_figure(v) for v in (c.get("old"), c.get("new")))
            cells.append(f"{names.get(c.get('indicator', ''), c.get('indicator'))}: {old} → {new}")
        else:
            cells.append(names.get(c[0], c[0]))
    return {"at": e.at.strftime("%Y-%m-%d %H:%M"), "actor": e.actor, "action": t.get(f"rp_step_{e.action}", e.action),
            "before": t.get(f"rp_state_{e.state_before}", "—"),
            "after": t.get(f"rp_state_{e.state_after}", e.state_after), "round": e.round, "message": e.message,
            "cells": cells}


def _viewable(y: Yangfan, principal: Principal, form: str, org_unit: str, reporter: str, period: str
              ) -> tuple[Form, submissions.ReturnKey]:
    f = form_or_error(y.forms, form)
    key = reporting.key_for(f, org_unit, reporter, period, y.tree)
    if not reporting.may_view(principal.grants, Return(org_unit, reporter), y.tree):
        raise YangfanError.single("permission.denied", f"无权填报或查看报表 {key}", f"return {key} is not yours to "
                                                                               "fill or see")
    return f, key


@router.get("/reporting/{form}/{org_unit}/{period}")
def entry_page(request: Request, form: FormCode, org_unit: UnitCode, period: PeriodCode, y: YangfanDep,
               principal: PrincipalDep, lang: LangParam = None, reporter: Reporter = "", done: Done = "") -> Response:
    """The entry grid of one return: each item beside the period before and a year before, validated as the
    reporter types, saved as a draft, submitted; its state, the reviewer's message and its history."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    t = texts(lang_)
    f, key = _viewable(y, principal, form, org_unit, reporter, period)
    names = {i.code: i.name_zh if lang_ == "zh" else i.name_en for i in f.items}
    with session_scope(y.engine) as s:
        row, grid = reporting.grid(s, f, key)
        history = [_event(e, names, t) for e in submissions.history(s, row.id)] if row else []
        state, round_, message = (row.state, row.round, row.message) if row else ("not_started", 1, "")
        submission_id = row.id if row else None
    fillable = reporting.may_fill(principal.grants, Return(org_unit, reporter), y.tree)
    editable = fillable and state in ("not_started", "draft", "returned")
    deadline = f.schedule.deadline(parse_period(key.period))
    rows = [_cell(g, lang_) for g in grid]
    query = f"?{urlencode({'reporter': reporter})}" if reporter else ""
    api = f"/api/v1/returns/{f.code}/{org_unit}/{key.period}"
    data = {"lang": lang_, "api": api, "query": query, "submission_id": submission_id, "state": state,
            "editable": editable, "reload": entry_url(f.code, org_unit, reporter, key.period, lang_),
            "rows": [{k: r[k] for k in ("code", "previous", "year_before", "locked", "divisor", "display_unit",
                                        "display_decimals", "decimals")} for r in rows],
            "texts": {k: t[k] for k in SCRIPT_TEXTS}}
    return render(request, "entry.html", principal, lang_, form=f, form_name=_form_name(f, lang_), key=key,
                  org_unit_name=_name(org_unit, y.tree, lang_),
                  reporter_name=_name(reporter, y.tree, lang_) if reporter else t["rp_own_unit"],
                  rows=rows, state=state, state_text=t[f"rp_state_{state}"], round=round_, message=message,
                  history=list(reversed(history)), fillable=fillable, editable=editable,
                  withdrawable=fillable and state == "submitted", deadline=deadline.isoformat(),
                  days_left=(deadline - y.today()).days, done=done, data=data,
                  locked_some=any(r["locked"] for r in rows), flagged_some=any(r["flagged"] for r in rows),
                  template_url=f"{api}/template.xlsx{query}",
                  upload_url="/reporting/upload?" + urlencode({"form": f.code, "org_unit": org_unit,
                                                               "period": key.period, "lang": lang_,
                                                               **({"reporter": reporter} if reporter else {})}))


@router.get("/reporting/upload")
def upload_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None, form: Short = "",
                org_unit: Short = "", period: Short = "", reporter: Reporter = "") -> Response:
    """上传: check a filled template or a CSV/XLSX of values, see its problems, then submit it."""
    lang_ = language(lang)
    if principal.is_public:
        return _login(lang_)
    t = texts(lang_)
    target = None
    if form and org_unit and period:
        f, key = _viewable(y, principal, form, org_unit, reporter, period)
        api = f"/api/v1/returns/{f.code}/{org_unit}/{key.period}"
        query = f"?{urlencode({'reporter': reporter})}" if reporter else ""
        target = {"form": f.code, "form_name": _form_name(f, lang_), "org_unit": _name(org_unit, y.tree, lang_),
                  "reporter": _name(reporter, y.tree, lang_) if reporter else t["rp_own_unit"], "period": key.period,
                  "entry_url": entry_url(f.code, org_unit, reporter, key.period, lang_),
                  "template_url": f"{api}/template.xlsx{query}"}
    names = {c: i.name_zh if lang_ == "zh" else i.name_en for c, i in y.catalog.indicators.items()}
    units = {c: unit_name(u, lang_) for c, u in y.tree.units.items()
             if u.kind == "operator" or (u.level is not None and u.level <= 1)}
    data = {"lang": lang_, "names": names, "units": units, "texts": {k: t[k] for k in SCRIPT_TEXTS}}
    return render(request, "upload.html", principal, lang_, target=target, data=data)


def counts_of(obligations: Sequence[Obligation]) -> Counter[str]:
    """How many obligations fall in each of the list's count groups (待填报, 已退回, 逾期, 已提交)."""
    return Counter(k for o in obligations for k in FILTER_LABELS if FILTERS[k](o))
