"""The demo's reporting rounds (演示数据): the 2026 returns of the forms, filled by demo reporters through the
same pipeline as real ones (validation, submission, review, acceptance, publication).

The operators' monthly figures split each province's demo totals (see ``synthetic``) among the four operators
(whole numbers that add up to the total exactly), and carry them on past the last published month at the
province's own pace of the year before; the indicators no one publishes per province (5G-A, RedCap, IoT, New
Calling, traffic) are national levels of the right size shared by population. Some returns come in late, one
is missing, a few figures jump and are explained, one return is sent back by its reviewer and corrected.
Every value's source is of kind ``demo-form``: labelled 演示数据 wherever it shows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine

from yangfan.analytics.query import Analytics, Query
from yangfan.catalog import Catalog
from yangfan.collect.forms import Form, Return
from yangfan.collect.reporting import key_for, submit_return
from yangfan.collect.synthetic import apportion
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.store.submissions import CellInput

OPERATOR_SHARE = {"cmcc": 0.48, "ctcc": 0.27, "cucc": 0.2, "cbn": 0.05}
#: The one return never sent (an operator's branch in a small province, the latest month due).
MISSING = ("OPM", "630000", "cbn")
#: The return its reviewer sends back, and what was wrong with it.
RETURNED = ("OPM", "440000", "cmcc")
RETURN_MESSAGE = ("5G基站数与网络侧统计相差约两成，疑似录入错误，请核实后重新提交 / the 5G base stations differ "
                  "from the network's count by about a fifth: probably a typing error, check and resubmit")
#: Figures that jump (5G-A upgrades switched on at once), with the reporters' explanations.
JUMPS = {("310000", "cmcc", "2026-04"): 1.6, ("510000", "ctcc", "2026-07"): 1.5, ("330000", "cucc", "2026-09"): 1.7}
JUMP_NOTE = "本月5G-A升级工程集中开通，基站数跃升属实 / a 5G-A upgrade programme was switched on this month"


def _rng(*key: object) -> random.Random:
    return random.Random("|".join(map(str, key)))


@dataclass
class DemoRound:
    """What the demo filled."""

    submitted: int = 0
    late: int = 0
    missing: int = 0
    returned: int = 0
    explained: int = 0
    steps: dict[str, int] = field(default_factory=dict)


class _Figures:
    """The demo's figures of one return."""

    def __init__(self, analytics: Analytics, tree: OrgUnitTree, provinces: list[str], months: list[Period]) -> None:
        self.provinces, self.months = provinces, months
        census = analytics.reported("population_census", provinces)
        pop = {p: census[(p, "2020")].value for p in provinces}
        total = sum(pop.values())
        self.pop_share = {p: pop[p] / total for p in provinces}
        self.totals: dict[str, dict[tuple[str, str], float]] = {}
        history = [Period(2025, "month", m) for m in range(1, 13)] + months
        for code in ("bs_5g", "bs_mobile_total", "users_5g_mobile_phone", "users_mobile_phone"):
            found = {(f.org_unit, f.period.code): f.value for f in analytics.run(
                Query((code,), tuple(provinces), tuple(history))) if f.value is not None}
            self.totals[code] = found

    def total(self, code: str, province: str, month: Period) -> float:
        """The province's demo total, or its pace of the year before carried on."""
        known = self.totals[code]
        if (province, month.code) in known:
            return known[(province, month.code)]
        last = max((p for (u, p) in known if u == province), default=None)
        if last is None:
            return 0.0
        lp = Period(int(last[:4]), "month", int(last[5:]))
        year_before = known.get((province, lp.shift(-12).code), known[(province, last)] * 0.9)
        pace = (known[(province, last)] / year_before) ** (1 / 12) if year_before else 1.0
        return float(round(known[(province, last)] * pace ** lp.months_until(month)))

    def weights(self, group: str, province: str) -> dict[str, float]:
        rng = _rng("operators", group, province)
        return {op: share * math.exp(rng.gauss(0, 0.12)) for op, share in OPERATOR_SHARE.items()}

    def operator(self, province: str, op: str, month: Period) -> dict[str, float]:
        """The twelve items of an operator's return for a province and month (base units)."""
        k = month.index - 1
        out: dict[str, float] = {}
        for group, whole, part in (("bs", "bs_mobile_total", "bs_5g"), ("users", "users_mobile_phone",
                                                                        "users_5g_mobile_phone")):
            w = self.weights(group, province)
            out[whole] = apportion(self.total(whole, province, month), w)[op]
            out[part] = apportion(self.total(part, province, month), w)[op]
        jump = 1.0
        for (prov, o, m), factor in JUMPS.items():
            if prov == province and o == op and m <= month.code:
                jump = factor
        out["bs_4g"] = float(round((out["bs_mobile_total"] - out["bs_5g"]) * 0.72))
        out["bs_5g_redcap"] = float(round(out["bs_5g"] * (0.36 + 0.015 * k)))
        out["bs_5ga"] = float(round(out["bs_5g"] * (0.05 + 0.006 * k) * jump))
        out["users_5g_a"] = float(round(out["users_5g_mobile_phone"] * (0.02 + 0.003 * k)))
        share = self.pop_share[province] * self.weights("users", province)[op] / sum(
            self.weights("users", province).values())
        out["iot_5g_connections"] = float(round(7.6e7 * 1.018 ** k * share))
        out["new_calling_users"] = float(round(5.6e7 * 1.032 ** k * share))
        traffic = sum(3.2e10 * 1.01 ** j for j in range(k + 1)) * share
        out["mobile_internet_traffic"] = float(round(traffic))
        out["traffic_5g"] = float(round(sum(3.2e10 * 1.01 ** j * (0.62 + 0.005 * j) for j in range(k + 1)) * share))
        return out

    def province(self, province: str, quarter: Period) -> dict[str, float]:
        """The five items of a province's quarterly return."""
        rng = _rng("survey", province)
        q = quarter.index - 1
        firms = round(59_000 * self.pop_share[province] * math.exp(rng.gauss(0, 0.3)))
        return {"industrial_enterprises_lm": float(firms),
                "industrial_enterprises_lm_5g": float(round(firms * min(0.9, (0.33 + 0.025 * q) * math.exp(
                    rng.gauss(0, 0.15))))),
                "factories_5g": float(round(1800 * self.pop_share[province] * (1 + 0.12 * q) * math.exp(
                    rng.gauss(0, 0.3)))),
                "typical_cases_5g": float(round(40 + 900 * self.pop_share[province] * (1 + 0.15 * q))),
                "provincial_policies": float(3 + rng.randrange(0, 6) + q)}


def _when(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0))


def fill(engine: Engine, analytics: Analytics, catalog: Catalog, tree: OrgUnitTree, forms: Mapping[str, Form],
         today: date, say: Callable[[str, int, int], None] = lambda _m, _i, _n: None) -> DemoRound:
    """File the demo's 2026 returns due or open by ``today``; a repeat changes nothing (returns already started
    are left as they are)."""
    provinces = sorted(tree.children["100000"])
    opm, prq = forms["OPM"], forms["PRQ"]
    months = opm.periods(today)
    figures = _Figures(analytics, tree, provinces, months)
    done = DemoRound()
    work: list[tuple[Form, Return, Period]] = [(opm, r, m) for m in months for r in opm.returns(tree)]
    work += [(prq, r, q) for q in prq.periods(today) for r in prq.returns(tree)]
    for n, (form, ret, period) in enumerate(work):
        if n % 50 == 0:
            say(f"{form.code} {period}", n, len(work))
        _one(engine, catalog, tree, form, ret, period, figures, today, done)
    say("done", len(work), len(work))
    return done


def _one(engine: Engine, catalog: Catalog, tree: OrgUnitTree, form: Form, ret: Return, period: Period,
         figures: _Figures, today: date, done: DemoRound) -> None:
    deadline = form.schedule.deadline(period)
    latest_due = max(p for p in form.periods(today) if form.schedule.deadline(p) < today) if any(
        form.schedule.deadline(p) < today for p in form.periods(today)) else None
    if (form.code, ret.org_unit, ret.reporter) == MISSING and period == latest_due:
        done.missing += 1
        return
    rng = _rng("when", form.code, ret.org_unit, ret.reporter, period)
    open_now = deadline >= today
    if open_now and rng.random() > 0.4:
        return  # not yet sent: the round is still open
    late = not open_now and (ret.org_unit == "540000" and ret.reporter == "cbn" or rng.random() < 0.06)
    sent = deadline + timedelta(days=rng.randint(1, 5)) if late else deadline - timedelta(days=rng.randint(1, 8))
    sent = min(sent, today)
    key = key_for(form, ret.org_unit, ret.reporter, str(period), tree)
    values = figures.operator(ret.org_unit, ret.reporter, period) if form.code == "OPM" else figures.province(
        ret.org_unit, period)
    d = ret.disaggregation
    reporter = f"demo:{ret.reporter or ret.org_unit}"
    reviewer, ministry = f"demo:reviewer:{ret.org_unit}", "demo:ministry"
    explained = any(p == ret.org_unit and o == ret.reporter and m == str(period) for p, o, m in JUMPS)
    entered = {(code, d): CellInput(v, JUMP_NOTE if explained and code == "bs_5ga" else "")
               for code, v in values.items()}
    returned = (form.code, ret.org_unit, ret.reporter) == RETURNED and period == latest_due
    with session_scope(engine) as s:
        if submissions.find(s, key) is not None:
            return
        first = dict(entered)
        if returned:  # a figure a fifth too high, explained in a way its reviewer does not accept
            first[("bs_5g", d)] = CellInput(round(values["bs_5g"] * 1.21), "新建站点集中入网 / new sites came on air")
        row, _w, _v = submit_return(s, catalog, tree, form, key, first, reporter, today, demo=True, at=_when(sent))
        done.submitted += 1
        done.late += late
        done.explained += explained
        step_day = sent + timedelta(days=2)
        if returned:
            submissions.act(s, reviewer, row.id, "return", lambda _r: True, RETURN_MESSAGE, [("bs_5g", d)],
                            at=_when(min(step_day, today), 15))
            submit_return(s, catalog, tree, form, key, entered, reporter, today, demo=True,
                          at=_when(min(step_day + timedelta(days=1), today), 11))
            done.returned += 1
            step_day += timedelta(days=2)
        for step, actor in _steps(form, period, today, reviewer, ministry):
            if step_day > today:
                break
            submissions.act(s, actor, row.id, step, lambda _r: True, at=_when(step_day, 16))
            done.steps[step] = done.steps.get(step, 0) + 1
            step_day += timedelta(days=3)


def _steps(form: Form, period: Period, today: date, reviewer: str, ministry: str
           ) -> list[tuple[submissions.Step, str]]:
    """How far a return has come: the older, the further (approved by the province, accepted, published)."""
    age = (today - form.schedule.deadline(period)).days
    steps: list[tuple[submissions.Step, str]] = [("approve", reviewer)]
    if age > 30:
        steps.append(("accept", ministry))
    if age > 45:
        steps.append(("publish", ministry))
    return steps
