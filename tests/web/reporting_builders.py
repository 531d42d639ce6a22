"""Builders for the 填报 pages' tests: a small platform on a fixed reporting date, its reporters, and returns
submitted and returned through the core functions the API calls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.collect import reporting
from yangfan.collect.forms import Return
from yangfan.context import Yangfan
from yangfan.settings import Settings
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.store.submissions import CellInput

PASSWORD = "reporting pages password"
#: 5 November 2026: OPM 2026-10 is due in five days (a reminder), PRQ 2026Q3 and OPM 2026-09 are overdue.
TODAY = date(2026, 11, 5)
USERS: dict[str, tuple[Role, str | None, str]] = {
    "gd-reporter": (Role.provincial_reporter, "440000", "广东填报员"),
    "js-reporter": (Role.provincial_reporter, "320000", "江苏填报员"),
    "cmcc-reporter": (Role.operator_reporter, "cmcc", "中国移动填报员"),
    "gd-reviewer": (Role.provincial_reviewer, "440000", "广东审核员"),
    "analyst": (Role.ministry_analyst, None, "部级分析人员"),
    "chief": (Role.administrator, None, "管理员"),
}
#: A consistent operator's month in Guangdong (parts within their wholes), base units.
OPM_SEPTEMBER = {"bs_mobile_total": 200_000, "bs_4g": 120_000, "bs_5g": 70_000, "bs_5g_redcap": 10_000,
                 "bs_5ga": 5_000, "users_mobile_phone": 60_000_000, "users_5g_mobile_phone": 40_000_000,
                 "users_5g_a": 1_000_000, "iot_5g_connections": 3_000_000, "new_calling_users": 5_000_000,
                 "mobile_internet_traffic": 9_000_000_000, "traffic_5g": 6_000_000_000}
#: The month after, within every threshold of the month before.
OPM_OCTOBER = {**OPM_SEPTEMBER, "bs_mobile_total": 201_000, "bs_5g": 71_000, "users_5g_mobile_phone": 40_500_000,
               "mobile_internet_traffic": 10_000_000_000, "traffic_5g": 6_700_000_000}
PRQ_QUARTER = {"industrial_enterprises_lm": 9_000, "industrial_enterprises_lm_5g": 2_700, "factories_5g": 120,
               "typical_cases_5g": 45, "provincial_policies": 6}
DPY_YEAR = {"standards_5g_fusion": 30, "security_benchmarks": 12, "atomic_security_capabilities": 40}
RETURN_MESSAGE = "5G工厂数与工信厅公布的名单不一致，请核实后重新提交"


def reporting_platform(data_dir: Path) -> Yangfan:
    """A platform dated ``TODAY`` with the reporting users of ``USERS``."""
    y = Yangfan(Settings(data_dir=data_dir, login_attempts_per_minute=10_000, today=TODAY))
    y.init()
    with session_scope(y.engine) as s:
        for name, (role, unit, display) in USERS.items():
            accounts.create_user(s, "test", name, PASSWORD, display_name=display)
            accounts.grant(s, "test", name, role, unit, y.tree)
    return y


def submit(y: Yangfan, form: str, org_unit: str, reporter: str, period: str, figures: Mapping[str, float],
           actor: str, explanations: Mapping[str, str] | None = None) -> int:
    """Submit a return through the core (validated as the API validates it); its submission id."""
    f = y.forms[form]
    key = reporting.key_for(f, org_unit, reporter, period, y.tree)
    d = Return(org_unit, reporter).disaggregation
    entered = {(code, d): CellInput(value, (explanations or {}).get(code, "")) for code, value in figures.items()}
    with session_scope(y.engine) as s:
        row, _written, _result = reporting.submit_return(s, y.catalog, y.tree, f, key, entered, actor, y.today())
        return row.id


def send_back(y: Yangfan, submission_id: int, actor: str, message: str, indicators: list[str],
              disaggregation: str = "") -> None:
    """A reviewer returns a submission with a message, flagging some cells."""
    with session_scope(y.engine) as s:
        submissions.act(s, actor, submission_id, "return", lambda _r: True, message,
                        [(i, disaggregation) for i in indicators])


def platform_with_returns(data_dir: Path) -> Yangfan:
    """A ``reporting_platform`` where Guangdong's PRQ 2026Q1 is submitted and its 2026Q2 returned with
    ``RETURN_MESSAGE``, and China Mobile's September in Guangdong is submitted."""
    y = reporting_platform(data_dir)
    submit(y, "PRQ", "440000", "", "2026Q1", PRQ_QUARTER, "gd-reporter")
    q2 = submit(y, "PRQ", "440000", "", "2026Q2", {**PRQ_QUARTER, "factories_5g": 150}, "gd-reporter")
    send_back(y, q2, "gd-reviewer", RETURN_MESSAGE, ["factories_5g"])
    submit(y, "OPM", "440000", "cmcc", "2026-09", OPM_SEPTEMBER, "cmcc-reporter")
    return y


def console_errors(page: Any) -> list[str]:
    """The errors a browser page logs to its console or throws, as they come."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors
