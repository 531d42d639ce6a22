"""Statistical reporting (统计报表): what each reporter owes, the entry of a return, its validation and its
submission. The web pages, the API and the CLI call these; the workflow's storage is ``store/submissions``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from yangfan.access.accounts import Grant
from yangfan.access.permissions import in_place
from yangfan.access.roles import SCOPED_TO_OPERATOR, Role
from yangfan.catalog import Catalog, Indicator
from yangfan.collect.forms import Form, Return, each_return
from yangfan.collect.rules import Entry, Problem, Rules, Validation, load_rules, neighbours, validate
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period, parse_period
from yangfan.store import submissions
from yangfan.store.models import SubmissionRow
from yangfan.store.repository import WriteResult, known_figures
from yangfan.store.submissions import CellInput, CellKey, ReturnKey
from yangfan.store.values import NewValue

UNSCOPED = {Role.administrator, Role.ministry_analyst}


def may_fill(grants: Sequence[Grant], r: Return, tree: OrgUnitTree) -> bool:
    """Who fills a return: the operator's reporters for an operator's return, the province's reporters for a
    province's own, ministry-level roles for any (the departments' returns among them)."""
    for g in grants:
        if g.role in UNSCOPED:
            return True
        if r.reporter and not r.reporter_is_unit:
            if g.role in SCOPED_TO_OPERATOR and g.org_unit == r.reporter:
                return True
        elif g.role == Role.provincial_reporter and in_place(g, r.org_unit, tree):
            return True
    return False


def may_check(grants: Sequence[Grant], org_unit: str, tree: OrgUnitTree) -> bool:
    """Who approves or returns: the province's reviewers for returns of their province, ministry-level roles."""
    return any(g.role in UNSCOPED or (g.role == Role.provincial_reviewer and in_place(g, org_unit, tree))
               for g in grants)


def may_view(grants: Sequence[Grant], r: Return, tree: OrgUnitTree) -> bool:
    """Who sees a return: those who fill it and those who check it."""
    return may_fill(grants, r, tree) or may_check(grants, r.org_unit, tree) or any(
        in_place(g, r.org_unit, tree) for g in grants)


@dataclass(frozen=True, slots=True)
class Obligation:
    """A return owed (应报): form × org unit × reporting unit × period, its deadline and where it stands."""

    form: Form
    ret: Return
    period: Period
    opens: date
    deadline: date
    state: str
    submission_id: int | None
    submitted_at: str | None
    message: str
    round: int
    today: date

    @property
    def key(self) -> ReturnKey:
        """The return's key."""
        return ReturnKey(self.form.code, self.ret.org_unit, self.ret.reporter, str(self.period))

    @property
    def received(self) -> bool:
        """Submitted at some time (whatever happened after)."""
        return self.submitted_at is not None

    @property
    def on_time(self) -> bool:
        """First submitted on or before the deadline."""
        return self.submitted_at is not None and self.submitted_at[:10] <= self.deadline.isoformat()

    @property
    def due(self) -> bool:
        """The deadline has passed."""
        return self.today > self.deadline

    @property
    def overdue(self) -> bool:
        """Due and still not submitted (or returned and not resubmitted)."""
        return self.due and self.state in ("not_started", "draft", "returned")

    @property
    def days_left(self) -> int:
        """Days to the deadline (negative once passed)."""
        return (self.deadline - self.today).days

    @property
    def timeliness(self) -> str:
        """on_time, late, missing (due, never submitted) or open (not yet due, not submitted). A return received
        before it fell due already counts (on time): completeness counts it as expected from then on."""
        if self.received:
            return "on_time" if self.on_time else "late"
        return "missing" if self.due else "open"

    def as_dict(self, tree: OrgUnitTree) -> dict[str, object]:
        """JSON-ready, for the API and the CLI."""
        return {"form": self.form.code, "form_name_zh": self.form.name_zh, "org_unit": self.ret.org_unit,
                "org_unit_name": tree.get(self.ret.org_unit).name_zh, "reporter": self.ret.reporter,
                "period": str(self.period), "opens": self.opens.isoformat(), "deadline": self.deadline.isoformat(),
                "days_left": self.days_left, "state": self.state, "state_zh": submissions.STATE_ZH[self.state],
                "overdue": self.overdue, "timeliness": self.timeliness, "submission_id": self.submission_id,
                "submitted_at": self.submitted_at, "message": self.message, "round": self.round,
                "reminder": self.form.schedule.reminding(self.period, self.today) and not self.received}


def obligations(session: Session, forms: Mapping[str, Form], tree: OrgUnitTree, today: date,
                wanted: Callable[[Return], bool] | None = None) -> list[Obligation]:
    """Every return opened by ``today`` (that ``wanted`` keeps), with its state, newest period first."""
    started = {(s.form_code, s.org_unit_code, s.reporter, s.period_code): s for s in submissions.all_returns(session)}
    out = []
    for form, r, period in each_return(dict(forms), tree, today):
        if wanted is not None and not wanted(r):
            continue
        s = started.get((form.code, r.org_unit, r.reporter, str(period)))
        out.append(Obligation(form, r, period, form.schedule.opens(period), form.schedule.deadline(period),
                              s.state if s else "not_started", s.id if s else None,
                              s.submitted_at.isoformat(timespec="seconds") if s and s.submitted_at else None,
                              s.message if s else "", s.round if s else 1, today))
    out.sort(key=lambda o: (o.deadline, o.form.code, o.ret.org_unit, o.ret.reporter), reverse=True)
    return out


@dataclass(frozen=True, slots=True)
class GridRow:
    """A row of the entry grid: one item of the form, with what it is compared with."""

    indicator: Indicator
    period: str
    value: float | None
    previous: float | None
    year_before: float | None
    explanation: str
    locked: bool
    flagged: bool

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, for the grid's script."""
        ind = self.indicator
        return {"indicator": ind.code, "name_zh": ind.name_zh, "name_en": ind.name_en, "unit": ind.unit,
                "display_unit": ind.display_unit, "decimals": ind.decimals, "period": self.period,
                "value": self.value, "previous": self.previous, "year_before": self.year_before,
                "explanation": self.explanation, "locked": self.locked, "flagged": self.flagged,
                "time_aggregation": ind.time_aggregation}


def key_for(form: Form, org_unit: str, reporter: str, period: str, tree: OrgUnitTree) -> ReturnKey:
    """A return's key, checked: the form is assigned to this unit and the period is of the form's type."""
    p = parse_period(period)
    if p.type != form.period_type or p < form.first_period:
        raise YangfanError.single("return.period",
                                  f"报表 {form.code} 按{form.period_type}填报，自 {form.first_period} 起，"
                                  f"不能填报期间 {period}",
                                  f"form {form.code} is returned per {form.period_type} from {form.first_period}, "
                                  f"not for {period}", Location(field="period"))
    if not form.assigned_to(org_unit, reporter, tree):
        who = f"{org_unit}{'/' + reporter if reporter else ''}"
        raise YangfanError.single("return.unassigned", f"报表 {form.code} 未指派给 {who}",
                                  f"form {form.code} is not assigned to {who}",
                                  Location(field="org_unit"))
    return ReturnKey(form.code, org_unit, reporter, str(p))


def _disagg(key: ReturnKey) -> str:
    return Return(key.org_unit, key.reporter).disaggregation


def grid(session: Session, form: Form, key: ReturnKey) -> tuple[SubmissionRow | None, list[GridRow]]:
    """The entry grid of a return: each item with the figure entered, the period before and a year before."""
    row = submissions.find(session, key)
    entered = submissions.cells(session, row.id) if row else {}
    period, d = parse_period(key.period), _disagg(key)
    stored = {ind.code: form.stored_period(ind, period) for ind in form.items}
    year = {"month": 12, "quarter": 4, "year": 1}
    # The period before is the form's: for a month's stock on a quarterly form, the previous quarter's last month.
    back = {code: (1 if p.type == period.type else {"quarter": 3, "year": 12}[period.type] if p.type == "month"
                   else 4) for code, p in stored.items()}
    wanted = {str(p.shift(-k)) for c, p in stored.items() for k in (back[c], year[p.type])}
    known = known_figures(session, set(form.indicator_codes), wanted, {key.org_unit})
    unlocking = row is not None and row.round > 1 and any(c.unlocked for c in entered.values())
    out = []
    for ind in form.items:
        p = stored[ind.code]
        cell = entered.get((ind.code, d))
        out.append(GridRow(ind, str(p), cell.value if cell else None,
                           known.get((ind.code, key.org_unit, str(p.shift(-back[ind.code])), d)),
                           known.get((ind.code, key.org_unit, str(p.shift(-year[p.type])), d)),
                           cell.explanation if cell else "",
                           unlocking and not (cell is not None and cell.unlocked),
                           bool(cell and cell.flagged)))
    return row, out


def values_of(form: Form, key: ReturnKey, entered: Mapping[CellKey, CellInput],
              where: Mapping[CellKey, tuple[str | None, int | None, str | None]] | None = None,
              source_kind: str = submissions.SOURCE_KIND) -> list[NewValue]:
    """The data values a return's cells make (empty cells make none)."""
    period, out = parse_period(key.period), []
    for ind in form.items:
        for (code, d), cell in entered.items():
            if code != ind.code or cell.value is None:
                continue
            sheet, row, column = (where or {}).get((code, d), (None, None, None))
            out.append(NewValue(ind.code, key.org_unit, str(form.stored_period(ind, period)), cell.value, d,
                                scope=ind.scope_at(form.stored_period(ind, period)),
                                source_kind=source_kind, source_title=submissions.source_title(key),
                                source_row=row, note=cell.explanation,
                                source_cell=f"{sheet}!{column}{row}" if sheet and column and row else None))
    return out


def check(session: Session, catalog: Catalog, tree: OrgUnitTree, entries: Sequence[Entry], today: date,
          rules: Rules | None = None, form: str | None = None) -> Validation:
    """Run the validation rules on ``entries`` against the store's figures around them."""
    rules = rules or load_rules()
    indicators, units, periods = neighbours([e.key for e in entries], tree)
    for part, whole in rules.parts:
        if part in indicators or whole in indicators:
            indicators |= {part, whole}
    return validate(entries, known_figures(session, indicators, periods, units), catalog, tree, rules, today, form)


def check_return(session: Session, catalog: Catalog, tree: OrgUnitTree, form: Form, key: ReturnKey,
                 entered: Mapping[CellKey, CellInput], today: date, file: str | None = None,
                 where: Mapping[CellKey, tuple[str | None, int | None, str | None]] | None = None) -> Validation:
    """The rules on a return's cells, and a hard problem for every item left empty."""
    where = where or {}
    d = _disagg(key)
    entries = []
    for v in values_of(form, key, entered, where):
        sheet, row, column = where.get((v.indicator, v.disaggregation), (None, None, None))
        entries.append(Entry(v, file, sheet, row, column, entered[(v.indicator, v.disaggregation)].explanation))
    result = check(session, catalog, tree, entries, today, form=form.code)
    missing = []
    for ind in form.items:
        cell = entered.get((ind.code, d))
        if cell is None or cell.value is None:
            sheet, row, column = where.get((ind.code, d), (None, None, None))
            p = str(form.stored_period(ind, parse_period(key.period)))
            missing.append(Problem("required", "hard", ind.code, key.org_unit, p, d,
                                   f"{ind.name_zh}未填报：每一项都须填写（确实为零请填 0）",
                                   f"{ind.name_en} is empty: every item must be filled (enter 0 for none)",
                                   None, file, sheet, row, column, form=form.code))
    return Validation(tuple(missing) + result.problems)


def as_error(result: Validation) -> YangfanError:
    """The blocking problems of a validation as the platform's error (hard first)."""
    issues = [Issue(f"rule.{p.rule}", p.message_zh, p.message_en,
                    Location(file=p.file, row=p.row, field=p.column or p.indicator,
                             entry=f"{p.sheet}!{p.column or ''}{p.row or ''}" if p.sheet else p.indicator),
                    "error" if p.severity == "hard" else "warning")
              for p in result.problems if p.blocking]
    return YangfanError(issues)


def with_saved(session: Session, row: SubmissionRow | None, entered: Mapping[CellKey, CellInput]
               ) -> dict[CellKey, CellInput]:
    """The cells a return would hold: those saved before, with the ones entered now over them."""
    saved = submissions.cells(session, row.id) if row else {}
    cells = {k: CellInput(c.value, c.explanation) for k, c in saved.items()}
    cells.update(entered)
    return cells


def submit_return(session: Session, catalog: Catalog, tree: OrgUnitTree, form: Form, key: ReturnKey,
                  entered: Mapping[CellKey, CellInput], actor: str, today: date, file_name: str = "",
                  where: Mapping[CellKey, tuple[str | None, int | None, str | None]] | None = None,
                  demo: bool = False, at: datetime | None = None) -> tuple[SubmissionRow, WriteResult, Validation]:
    """Validate and submit a return: hard problems and unexplained soft ones refuse it and change nothing."""
    current = submissions.find(session, key)
    cells = with_saved(session, current, entered)
    result = check_return(session, catalog, tree, form, key, cells, today, file_name or None, where)
    if not result.ok:
        raise as_error(result)
    values = values_of(form, key, cells, where,
                       submissions.DEMO_SOURCE_KIND if demo else submissions.SOURCE_KIND)
    events = len(submissions.history(session, current.id)) if current else 0
    digest = hashlib.sha256(json.dumps([str(key), events, [(v.indicator, v.disaggregation, v.value, v.note)
                                                          for v in values]]).encode()).hexdigest()
    row, written = submissions.submit(session, actor, key, cells, values, file_name or f"{key} web", digest, at)
    return row, written, result
