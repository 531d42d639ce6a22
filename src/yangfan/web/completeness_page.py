"""The completeness page (报送情况): per form and period how many returns were due, received, on time, late and
missing; per province for one form and period, each reporting unit's return; a map of the reporting rate.

The counts are ``collect.completeness``'s, over the obligations the user may see: the ministry sees every
province, provincial reviewers and reporters their own. A rank among provinces says among how many reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from yangfan.access.accounts import Grant
from yangfan.access.permissions import ministry_level
from yangfan.access.roles import SCOPED_TO_PLACE
from yangfan.collect import completeness
from yangfan.collect.completeness import Tally
from yangfan.collect.forms import Form, Return
from yangfan.collect.reporting import Obligation, obligations
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import NATION, OrgUnitTree
from yangfan.store.db import session_scope
from yangfan.web import cockpit
from yangfan.web.auth import Principal, UserDep
from yangfan.web.deps import YangfanDep
from yangfan.web.i18n import Lang, texts, unit_name
from yangfan.web.pages import LangParam, language, render, templates
from yangfan.web.returns_review import state_text

router = APIRouter(include_in_schema=False)
# The cockpit's 报送情况 panel is drawn by its template from this function (the cockpit route stays as it is).
templates.env.globals["reporting_panel"] = cockpit.reporting_panel_for


def scope(grants: Sequence[Grant], tree: OrgUnitTree) -> Callable[[Return], bool] | None:
    """Which returns' completeness the user sees: all for the ministry (None), its province's for provincial
    reviewers and reporters; nobody else sees any."""
    if ministry_level(grants):
        return None
    places = [g.org_unit for g in grants if g.role in SCOPED_TO_PLACE and g.org_unit]
    if not places:
        raise YangfanError.single("permission.role", "报送情况仅部级人员和省级审核、填报人员（本省）可查看",
                                  "reporting completeness is for the ministry and for provincial reviewers and "
                                  "reporters (their own province)")
    return lambda r: any(r.org_unit == p or p in tree.ancestors(r.org_unit) for p in places)


def rate_text(x: float | None) -> str:
    """A rate in per cent, one decimal, or a dash where nothing was due."""
    return "—" if x is None else f"{x:.1f}%"


@dataclass(frozen=True, slots=True)
class GroupRow:
    """The tally of one form and period."""

    form: str
    form_name: str
    period: str
    tally: Tally
    reporting_rate: str
    timeliness_rate: str


@dataclass(frozen=True, slots=True)
class Sent:
    """One reporting unit's return for a province: on time, late, missing or not yet due, and its state."""

    reporter: str
    reporter_name: str
    timeliness: str
    timeliness_text: str
    state_text: str
    submitted_at: str


@dataclass(frozen=True, slots=True)
class ProvinceRow:
    """One org unit's returns of the chosen form and period."""

    code: str
    name: str
    tally: Tally
    reporting_rate: str
    timeliness_rate: str
    rank: int | None
    rank_text: str
    returns: list[Sent]


@dataclass(frozen=True, slots=True)
class CompletenessView:
    """The page: the tallies per form and period, and the chosen form and period per province."""

    today: str
    groups: list[GroupRow]
    forms: list[tuple[str, str]]
    form: str
    form_name: str
    periods: list[str]
    period: str
    reporters: list[tuple[str, str]]
    provinces: list[ProvinceRow]
    total: Tally
    scoped: bool
    ranked: int

    def map_data(self) -> dict[str, Any]:
        """What the map script draws: each province's reporting rate (None where nothing was due)."""
        return {"form": self.form, "period": self.period, "rows": [
            {"code": p.code, "name": p.name, "value": p.tally.as_dict()["reporting_rate"],
             "text": p.reporting_rate, **{k: v for k, v in asdict(p.tally).items()}, "rank_text": p.rank_text}
            for p in self.provinces if p.code != NATION]}


def ranks(rows: Sequence[tuple[str, Tally]]) -> dict[str, int]:
    """Rank of each unit that received at least one return, by reporting rate then timeliness rate (ties share)."""
    scored = {code: (round(x.reporting_rate or 0, 1), round(x.timeliness_rate or 0, 1))
              for code, x in rows if x.received}
    ordered = sorted(scored.values(), reverse=True)
    first: dict[tuple[float, float], int] = {}
    for i, v in enumerate(ordered):
        first.setdefault(v, i + 1)
    return {code: first[v] for code, v in scored.items()}


def _default(found: Sequence[Obligation], forms: dict[str, Form], form: str, period: str) -> tuple[str, str]:
    """The form and period shown: those asked for, else the first form's latest period with returns due."""
    code = form if form in forms else next(iter(forms))
    periods = [o for o in found if o.form.code == code]
    if period and any(str(o.period) == period for o in periods):
        return code, period
    due = [o.period for o in periods if o.due]
    chosen = max(due) if due else max((o.period for o in periods), default=None)
    return code, str(chosen) if chosen else ""


def completeness_view(y: Yangfan, user: Principal, form: str, period: str, lang: Lang) -> CompletenessView:
    """Completeness and timeliness as of today, within the user's scope."""
    keep = scope(user.grants, y.tree)
    with session_scope(y.engine) as s:
        found = obligations(s, y.forms, y.tree, y.today(), keep)
    t = texts(lang)
    forms = y.forms

    def form_name(code: str) -> str:
        return forms[code].name_zh if lang == "zh" else forms[code].name_en

    groups = [GroupRow(f, form_name(f), p, tally, rate_text(tally.reporting_rate), rate_text(tally.timeliness_rate))
              for (f, p), tally in completeness.by(found, "form", "period").items()]
    order = {f: i for i, f in enumerate(forms)}
    groups.sort(key=lambda g: g.period, reverse=True)
    groups.sort(key=lambda g: order[g.form])  # forms in their order, each newest period first (a stable sort)
    code, chosen = _default(found, forms, form, period)
    picked = [o for o in found if o.form.code == code and str(o.period) == chosen]
    tallies = completeness.by(picked, "org_unit")
    ranked = ranks([(k[0], v) for k, v in tallies.items() if k[0] != NATION]) if keep is None else {}
    n = len(ranked)
    by_unit: dict[str, list[Obligation]] = {}
    for o in picked:
        by_unit.setdefault(o.ret.org_unit, []).append(o)
    reporters = sorted({o.ret.reporter for o in picked}, key=lambda r: list(forms[code].operators).index(r)
                       if r in forms[code].operators else -1)
    provinces = []
    for (unit,), tally in tallies.items():
        rank = ranked.get(unit)
        sent = sorted(by_unit[unit], key=lambda o: reporters.index(o.ret.reporter))
        provinces.append(ProvinceRow(
            unit, unit_name(y.tree.get(unit), lang), tally, rate_text(tally.reporting_rate),
            rate_text(tally.timeliness_rate), rank,
            t["cp_rank_of"].format(rank=rank, n=n) if rank else (t["cp_not_ranked"] if keep is None and unit != NATION
                                                             else ""),
            [Sent(o.ret.reporter, unit_name(y.tree.get(o.ret.reporter), lang) if o.ret.reporter else t["cp_own_unit"],
                  o.timeliness, t[f"rv_tl_{o.timeliness}"], state_text(o.state, lang),
                  (o.submitted_at or "").replace("T", " ")[:16]) for o in sent]))
    provinces.sort(key=lambda p: (p.rank is None, p.rank or 0, p.code))
    periods = sorted({str(o.period) for o in found if o.form.code == code}, reverse=True)
    return CompletenessView(
        y.today().isoformat(), groups, [(f, form_name(f)) for f in forms], code, form_name(code), periods, chosen,
        [(r, unit_name(y.tree.get(r), lang) if r else t["cp_own_unit"]) for r in reporters], provinces,
        completeness.tally(picked), keep is not None, n)


@router.get("/reporting/completeness", response_class=HTMLResponse)
def completeness_page(request: Request, y: YangfanDep, user: UserDep, lang: LangParam = None,
                      form: Annotated[str | None, Query(max_length=16)] = None,
                      period: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    """报送情况: completeness and timeliness per form and period, per province, and on the map."""
    lang_ = language(lang)
    view = completeness_view(y, user, form or "", period or "", lang_)
    t = texts(lang_)
    map_texts = {k.removeprefix("cp_"): t[k] for k in ("cp_reporting_rate", "cp_expected", "cp_received", "cp_on_time",
                                                      "cp_late", "cp_missing", "cp_open", "rank", "cp_no_due")} | {
        "lang": lang_}
    return render(request, "completeness.html", user, lang_, view=view, map_data=view.map_data(),
                  map_texts=map_texts)
