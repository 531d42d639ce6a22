"""Reviewer pages of statistical returns (报表审核): the returns within the reviewer's scope, with bulk actions,
and one return with its figures beside the period before and the year before, the rule checks, the
reporter's explanations and every round of its history.

The pages only read; every action goes through ``POST /api/v1/returns/{id}/{step}`` from the pages' scripts,
so that the API's checks (scope, state, four eyes, a message for a return) are the only ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from yangfan.access.accounts import Grant
from yangfan.access.permissions import ministry_level, reviews_some
from yangfan.catalog import Indicator
from yangfan.collect import reporting
from yangfan.collect.forms import Form
from yangfan.collect.rules import Problem, load_rules
from yangfan.context import Yangfan
from yangfan.errors import Location, YangfanError
from yangfan.geo.periods import parse_period
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.store.models import SubmissionEventRow, SubmissionRow
from yangfan.store.submissions import CellInput
from yangfan.web.auth import Principal, UserDep
from yangfan.web.deps import YangfanDep
from yangfan.web.i18n import Lang, base_unit, texts, unit_name
from yangfan.web.pages import LangParam, language, render

router = APIRouter(include_in_schema=False)
#: The list's tabs: the state each one shows, in the order of the workflow.
TABS = ("submitted", "approved", "accepted", "returned")
#: The bulk action of each tab, and whether only the ministry takes it.
BULK: dict[str, tuple[str, bool]] = {"submitted": ("approve", False), "approved": ("accept", True),
                                     "accepted": ("publish", True)}
FormFilter = Annotated[str | None, Query(max_length=16)]
PeriodFilter = Annotated[str | None, Query(max_length=10)]


def _reviewer(user: Principal) -> None:
    """Only reviewers (provincial reviewers, the ministry) open these pages."""
    if not reviews_some(user.grants):
        raise YangfanError.single("permission.role", "仅审核人员（省级审核人员、部级人员）可访问报表审核",
                                  "only reviewers (provincial reviewers, the ministry) review returns")


def _not_yours(submission_id: int) -> YangfanError:
    """The answer for a return that does not exist and for one outside the reviewer's scope: the same."""
    return YangfanError.single("return.unknown", f"报表 {submission_id} 不存在或无权查看",
                               f"return {submission_id} does not exist or is not yours",
                               Location(entry=str(submission_id)))


def state_text(state: str, lang: Lang) -> str:
    """A return's state as people read it."""
    return texts(lang)[f"rv_state_{state}"]


def return_label(y: Yangfan, form: Form, org_unit: str, reporter: str, period: str, lang: Lang) -> str:
    """A return as one line: 报表 · 地区 · 报送单位 · 期间."""
    parts = [form.name_zh if lang == "zh" else form.name_en, unit_name(y.tree.get(org_unit), lang)]
    if reporter:
        parts.append(unit_name(y.tree.get(reporter), lang))
    return " · ".join([*parts, period])


@dataclass(frozen=True, slots=True)
class ListRow:
    """One return in the reviewer's list."""

    id: int
    form: str
    form_name: str
    org_unit_name: str
    reporter_name: str
    period: str
    state: str
    state_text: str
    round: int
    submitted_at: str
    deadline: str
    timeliness: str
    message: str
    label: str


@dataclass(frozen=True, slots=True)
class ReturnsList:
    """The list page: one tab of returns, the counts of every tab, the filters and the bulk action."""

    tab: str
    rows: list[ListRow]
    counts: dict[str, int]
    forms: list[tuple[str, str]]
    periods: list[str]
    form: str
    period: str
    bulk: str | None


def returns_list(y: Yangfan, user: Principal, tab: str, form: str, period: str, lang: Lang) -> ReturnsList:
    """The returns the user checks (its province, or all for the ministry) in one state, newest deadline first."""
    with session_scope(y.engine) as s:
        found = reporting.obligations(s, y.forms, y.tree, y.today(),
                                      lambda r: reporting.may_check(user.grants, r.org_unit, y.tree))
    started = [o for o in found if o.submission_id is not None]
    periods = sorted({str(o.period) for o in started if not form or o.form.code == form}, reverse=True)
    chosen = [o for o in started if (not form or o.form.code == form) and (not period or str(o.period) == period)]
    counts = {t: sum(1 for o in chosen if o.state == t) for t in TABS}
    rows = [ListRow(o.submission_id or 0, o.form.code, o.form.name_zh if lang == "zh" else o.form.name_en,
                    unit_name(y.tree.get(o.ret.org_unit), lang),
                    unit_name(y.tree.get(o.ret.reporter), lang) if o.ret.reporter else "",
                    str(o.period), o.state, state_text(o.state, lang), o.round,
                    (o.submitted_at or "").replace("T", " ")[:16], o.deadline.isoformat(), o.timeliness, o.message,
                    return_label(y, o.form, o.ret.org_unit, o.ret.reporter, str(o.period), lang))
            for o in chosen if o.state == tab]
    action, ministry_only = BULK.get(tab, (None, False))
    bulk = action if action and (ministry_level(user.grants) or not ministry_only) else None
    return ReturnsList(tab, rows, counts, [(f.code, f.name_zh if lang == "zh" else f.name_en)
                                           for f in y.forms.values()], periods, form, period, bulk)


@dataclass(frozen=True, slots=True)
class Check:
    """A rule's finding on one item: hard (blocks) or soft (needs an explanation), explained or not."""

    severity: str
    message: str
    explained: bool


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item of the return beside what it is compared with."""

    indicator: str
    name: str
    unit: str
    value: str
    previous: str
    change: str
    year_before: str
    yoy: str
    #: The change beyond the soft rules' thresholds: the reviewer looks there first.
    change_jumps: bool
    yoy_jumps: bool
    checks: list[Check]
    explanation: str
    flagged: bool
    unlocked: bool


@dataclass(frozen=True, slots=True)
class Event:
    """One action of the history: who, when, what, with which message, which cells old → new."""

    at: str
    actor: str
    action: str
    action_text: str
    before: str
    after: str
    round: int
    message: str
    cells: list[str]


@dataclass(frozen=True, slots=True)
class Submitted:
    """The figures as one submission sent them (the rounds compared side by side)."""

    at: str
    actor: str
    round: int
    figures: dict[str, str]
    changed: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ReturnView:
    """One return as its reviewer sees it."""

    id: int
    label: str
    form: str
    org_unit: str
    reporter: str
    period: str
    state: str
    state_text: str
    round: int
    message: str
    deadline: str
    submitted_at: str
    timeliness: str
    items: list[ItemRow]
    events: list[Event]
    submissions: list[Submitted]
    actions: list[str]


def exact(value: float | None) -> str:
    """A figure as the reporter entered it, with thousands separators (the reviewer sees every digit)."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6f}".rstrip("0").rstrip(".")


def change(now: float | None, then: float | None) -> float | None:
    """The relative change in per cent, where both figures are known and the earlier is not zero."""
    if now is None or then is None or then == 0:
        return None
    return 100 * (now - then) / abs(then)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:+.1f}%"


def _beyond(x: float | None, threshold: float | None) -> bool:
    return x is not None and threshold is not None and abs(x) > 100 * threshold


def available_steps(grants: Sequence[Grant], row: SubmissionRow, y: Yangfan) -> list[str]:
    """The actions this user may take on the return now (the API checks them again)."""
    checks = reporting.may_check(grants, row.org_unit_code, y.tree)
    ministry = ministry_level(grants)
    return {"submitted": ["approve", "return"] if checks else [],
            "approved": (["accept"] if ministry else []) + (["unlock"] if checks else []),
            "accepted": ["publish", "unlock"] if ministry else [],
            "published": ["unlock"] if ministry else []}.get(row.state, [])


def _items(s: Session, y: Yangfan, form: Form, row: SubmissionRow, lang: Lang) -> list[ItemRow]:
    key = submissions.key_of(row)
    _row, grid = reporting.grid(s, form, key)
    cells = submissions.cells(s, row.id)
    entered = {k: CellInput(c.value, c.explanation) for k, c in cells.items()}
    problems: dict[str, list[Problem]] = {}
    for p in reporting.check_return(s, y.catalog, y.tree, form, key, entered, y.today()).problems:
        problems.setdefault(p.indicator, []).append(p)
    unlocked = {code for (code, _d), c in cells.items() if c.unlocked}
    rules = load_rules()
    out = []
    for g in grid:
        ind: Indicator = g.indicator
        mom, yoy = change(g.value, g.previous), change(g.value, g.year_before)
        out.append(ItemRow(ind.code, ind.name_zh if lang == "zh" else ind.name_en, base_unit(ind, lang),
                           exact(g.value), exact(g.previous), _pct(mom), exact(g.year_before), _pct(yoy),
                           _beyond(mom, rules.month_change), _beyond(yoy, rules.year_change),
                           [Check(p.severity, p.message_zh if lang == "zh" else p.message_en, p.explained)
                            for p in problems.get(ind.code, [])],
                           g.explanation, g.flagged, ind.code in unlocked))
    return out


def _cells_text(detail: dict[str, Any], names: dict[str, str], lang: Lang) -> list[str]:
    """The cells an action touched: old → new for an entry (a first entry of many cells in one line), the cells
    named for a return or an unlock."""
    touched = detail.get("cells", [])
    entries = [c for c in touched if isinstance(c, dict)]
    if len(entries) > 3 and all(c.get("old") is None for c in entries):
        return [texts(lang)["rv_entered"].format(n=len(entries))]
    out = []
    for c in touched:
        if isinstance(c, dict):
            name = names.get(str(c.get("indicator")), str(c.get("indicator")))
            out.append(f"{name}{'：' if lang == 'zh' else ': '}{exact(c.get('old'))} → {exact(c.get('new'))}")
        elif isinstance(c, list) and c:
            out.append(names.get(str(c[0]), str(c[0])))
    return out


def _history(events: Sequence[SubmissionEventRow], names: dict[str, str], lang: Lang
             ) -> tuple[list[Event], list[Submitted]]:
    """The events as people read them, and the figures each submission sent (replayed from the cells' changes)."""
    t = texts(lang)
    out: list[Event] = []
    sent: list[Submitted] = []
    current: dict[str, float | None] = {}
    for e in events:
        detail = json.loads(e.detail or "{}")
        for c in detail.get("cells", []):
            if isinstance(c, dict):
                current[str(c.get("indicator"))] = c.get("new")
        out.append(Event(e.at.isoformat(sep=" ", timespec="minutes"), e.actor, e.action,
                         t.get(f"rv_step_{e.action}", e.action), t.get(f"rv_state_{e.state_before}", e.state_before),
                         t.get(f"rv_state_{e.state_after}", e.state_after), e.round, e.message,
                         _cells_text(detail, names, lang)))
        if e.action == "submit":
            values = {code: exact(v) for code, v in current.items()}
            before = sent[-1].figures if sent else {}
            changed = {code for code, v in values.items() if before and before.get(code) != v}
            sent.append(Submitted(out[-1].at, e.actor, e.round, values, changed))
    return out, sent


def return_view(y: Yangfan, user: Principal, submission_id: int, lang: Lang) -> ReturnView:
    """One return within the reviewer's scope; the same refusal for another's return and for none."""
    with session_scope(y.engine) as s:
        row = s.get(SubmissionRow, submission_id)
        if row is None or not reporting.may_check(user.grants, row.org_unit_code, y.tree):
            raise _not_yours(submission_id)
        form = y.forms[row.form_code]
        period = parse_period(row.period_code)
        deadline = form.schedule.deadline(period)
        items = _items(s, y, form, row, lang)
        names = {i.indicator: i.name for i in items}
        events, sent = _history(submissions.history(s, row.id), names, lang)
        submitted = row.submitted_at.isoformat(sep=" ", timespec="minutes") if row.submitted_at else ""
        timeliness = ("on_time" if submitted[:10] <= deadline.isoformat() else "late") if submitted else (
            "missing" if y.today() > deadline else "open")
        return ReturnView(row.id, return_label(y, form, row.org_unit_code, row.reporter, row.period_code, lang),
                          form.code, row.org_unit_code, row.reporter, row.period_code, row.state,
                          state_text(row.state, lang), row.round, row.message, deadline.isoformat(), submitted,
                          timeliness, items, events, sent, available_steps(user.grants, row, y))


def _texts_for_script(lang: Lang, keys: Sequence[str]) -> dict[str, str]:
    t = texts(lang)
    return {k: t[k] for k in keys} | {"lang": lang}


#: The texts the pages' scripts write (confirmations, results, refusals).
SCRIPT_TEXTS = ("confirm_title", "confirm_do", "cancel", "refused", "rv_bulk_none", "rv_ask_bulk", "rv_bulk_done",
                "rv_ask_step", "rv_message_required", "rv_cells_required", "rv_result_ok", "rv_ask_message",
                "rv_ask_cells", "rv_working", "rv_more",
                *(f"rv_step_{s}" for s in ("approve", "return", "accept", "publish", "unlock")),
                *(f"rv_state_{s}" for s in ("draft", "submitted", "returned", "approved", "accepted", "published")))


@router.get("/review/returns", response_class=HTMLResponse)
def returns_page(request: Request, y: YangfanDep, user: UserDep, lang: LangParam = None,
                 state: Annotated[str, Query(pattern="^(submitted|approved|accepted|returned)$")] = "submitted",
                 form: FormFilter = None, period: PeriodFilter = None) -> HTMLResponse:
    """报表审核: the returns to review within the reviewer's scope, by state, with bulk actions."""
    _reviewer(user)
    lang_ = language(lang)
    view = returns_list(y, user, state, form or "", period or "", lang_)
    return render(request, "returns_review.html", user, lang_, view=view,
                  script_texts=_texts_for_script(lang_, SCRIPT_TEXTS))


@router.get("/review/returns/{submission_id}", response_class=HTMLResponse)
def return_page(request: Request, submission_id: Annotated[int, Path(ge=1)], y: YangfanDep, user: UserDep,
                lang: LangParam = None) -> HTMLResponse:
    """One return: figures, comparisons, rule checks, explanations, history; approve, return, accept, publish,
    unlock with a confirmation."""
    _reviewer(user)
    lang_ = language(lang)
    view = return_view(y, user, submission_id, lang_)
    return render(request, "return_review.html", user, lang_, view=view,
                  script_texts=_texts_for_script(lang_, SCRIPT_TEXTS) | {"label": view.label, "id": str(view.id)})
