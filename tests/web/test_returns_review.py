"""报表审核 pages: the returns a reviewer checks, one return with its comparisons, flags and history, and scope.

The returns are filed through the core (``reporting.submit_return``, ``submissions.act``) on a platform of its
own whose reporting date is 2026-04-15; ``reporting_platform`` is shared with the completeness and browser tests.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.collect.reporting import key_for, submit_return
from yangfan.context import Yangfan
from yangfan.settings import Settings
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.store.submissions import CellInput
from yangfan.web.app import create_app

PASSWORD = "returns review password"
TODAY = date(2026, 4, 15)
#: Who is who: username → (role, scope).
USERS = {"gd-reviewer": (Role.provincial_reviewer, "440000"), "bj-reviewer": (Role.provincial_reviewer, "110000"),
         "gd-reporter": (Role.provincial_reporter, "440000"), "chief": (Role.ministry_analyst, None),
         "cmcc-gd": (Role.operator_reporter, "cmcc"), "ctcc-gd": (Role.operator_reporter, "ctcc")}
#: An operator's monthly figures for a province (base units), grown a little each month.
BASE = {"bs_mobile_total": 100_000, "bs_4g": 55_000, "bs_5g": 40_000, "bs_5g_redcap": 5_000, "bs_5ga": 3_000,
        "users_mobile_phone": 10_000_000, "users_5g_mobile_phone": 6_000_000, "users_5g_a": 100_000,
        "iot_5g_connections": 200_000, "new_calling_users": 1_000_000, "mobile_internet_traffic": 1_000_000_000,
        "traffic_5g": 600_000_000}
RETURN_MESSAGE = "5G基站数与网络侧统计不符，请核实"
JUMP_NOTE = "5G-A升级工程集中开通"


def figures(month: int, op: str, scale: float = 1.0) -> dict[str, float]:
    """The twelve items of an operator's OPM return for a 2026 month."""
    factor = scale * {"cmcc": 1.0, "ctcc": 0.6, "cucc": 0.5, "cbn": 0.1}[op] * (1 + 0.01 * month)
    return {code: float(round(v * factor)) for code, v in BASE.items()}


def file_return(y: Yangfan, org_unit: str, op: str, month: int, actor: str, at: datetime,
                steps: tuple[tuple[str, str, datetime], ...] = (), scale: float = 1.0,
                changed: dict[str, CellInput] | None = None) -> int:
    """Submit an OPM return as ``actor`` at ``at`` (``changed`` items replacing the usual figures), then take
    ``steps`` (step, actor, when) on it."""
    form = y.forms["OPM"]
    key = key_for(form, org_unit, op, f"2026-{month:02d}", y.tree)
    d = f"operator={op}"
    cells = {(c, d): CellInput(v) for c, v in figures(month, op, scale).items()}
    cells.update({(c, d): cell for c, cell in (changed or {}).items()})
    with session_scope(y.engine) as s:
        row, _w, _v = submit_return(s, y.catalog, y.tree, form, key, cells, actor, y.today(), at=at)
        for step, who, when in steps:
            submissions.act(s, who, row.id, step, lambda _r: True, at=when)  # type: ignore[arg-type]
        return row.id


def reporting_platform(data_dir: Path) -> tuple[Yangfan, dict[str, int]]:
    """A platform on 2026-04-15 with returns of OPM in every state, late and missing ones, and one return
    sent back and corrected (two rounds); the ids of the returns by name."""
    # As ``tests.builders.platform``, on the reporting date (the tests log in hundreds of times from one address).
    y = Yangfan(Settings(data_dir=data_dir, today=TODAY, login_attempts_per_minute=10_000))
    y.init()
    with session_scope(y.engine) as s:
        for name, (role, unit) in USERS.items():
            accounts.create_user(s, "test", name, PASSWORD)
            accounts.grant(s, "test", name, role, unit, y.tree)

    def at(month: int, day: int, hour: int = 10) -> datetime:
        return datetime(2026, month, day, hour)

    ids = {
        # February (due 2026-03-10): accepted, approved, and a late one still to review.
        "gd-cmcc-02": file_return(y, "440000", "cmcc", 2, "cmcc-gd", at(3, 5),
                                  (("approve", "gd-reviewer", at(3, 8)), ("accept", "chief", at(3, 12)))),
        "gd-ctcc-02": file_return(y, "440000", "ctcc", 2, "ctcc-gd", at(3, 9),
                                  (("approve", "gd-reviewer", at(3, 11)),)),
        "bj-cmcc-02": file_return(y, "110000", "cmcc", 2, "cmcc-bj", at(3, 15)),
        # March (due 2026-04-10): on time, late, one filed by the ministry itself (four eyes), Guangdong's cbn missing.
        "gd-cmcc-03": file_return(y, "440000", "cmcc", 3, "cmcc-gd", at(4, 8)),
        "gd-ctcc-03": file_return(y, "440000", "ctcc", 3, "ctcc-gd", at(4, 12),
                                  changed={"bs_5ga": CellInput(3_000.0, JUMP_NOTE)}),
        "gd-cucc-03": file_return(y, "440000", "cucc", 3, "chief", at(4, 9)),
        "bj-cmcc-03": file_return(y, "110000", "cmcc", 3, "cmcc-bj", at(4, 2)),
        "sh-cmcc-03": file_return(y, "310000", "cmcc", 3, "cmcc-sh", at(4, 3), scale=1.2),
    }
    # Beijing's ctcc return: sent back with a message on one cell, corrected and resubmitted.
    form = y.forms["OPM"]
    key = key_for(form, "110000", "ctcc", "2026-03", y.tree)
    d = "operator=ctcc"
    first = {(c, d): CellInput(v) for c, v in figures(3, "ctcc").items()}
    first[("bs_5g", d)] = CellInput(31_000.0, "新站集中入网")
    with session_scope(y.engine) as s:
        row, _w, _v = submit_return(s, y.catalog, y.tree, form, key, first, "ctcc-bj", TODAY, at=at(4, 3))
        submissions.act(s, "bj-reviewer", row.id, "return", lambda _r: True, RETURN_MESSAGE, [("bs_5g", d)],
                        at=at(4, 5, 15))
        submit_return(s, y.catalog, y.tree, form, key, {("bs_5g", d): CellInput(figures(3, "ctcc")["bs_5g"])},
                      "ctcc-bj", TODAY, at=at(4, 6))
        ids["bj-ctcc-03"] = row.id
    y.count_returns()
    y.rebuild()
    return y, ids


@pytest.fixture(scope="module")
def reporting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Yangfan, dict[str, int]]:
    """The platform with its returns, built once for this module."""
    return reporting_platform(Path(tmp_path_factory.mktemp("returns-review")))


def log_in(y: Yangfan, username: str) -> TestClient:
    """A client of its own, logged in as ``username``."""
    client = TestClient(create_app(y))
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def csrf(client: TestClient) -> dict[str, str]:
    """The CSRF header of the client's session, as the pages' scripts send it."""
    page = client.get("/review/returns").text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match
    return {"X-CSRF-Token": match[1]}


def rows_of(html: str, table: str) -> list[dict[str, Any]]:
    """The data rows of a table: their data attributes."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tr)) for tr in re.findall(r"<tr (data-[^>]*)>", body)]


def test_a_provincial_reviewer_sees_the_returns_of_its_province(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    client = log_in(y, "gd-reviewer")
    page = client.get("/review/returns")
    assert page.status_code == 200
    listed = {int(r["id"]) for r in rows_of(page.text, "returns-table")}
    assert listed == {ids["gd-cmcc-03"], ids["gd-ctcc-03"], ids["gd-cucc-03"]}  # submitted, Guangdong only
    assert "批量审核通过" in page.text and "待审核" in page.text
    approved = client.get("/review/returns?state=approved").text
    assert {int(r["id"]) for r in rows_of(approved, "returns-table")} == {ids["gd-ctcc-02"]}
    assert "批量接收" not in approved  # accepting is the ministry's
    filtered = client.get("/review/returns?form=OPM&period=2026-02").text
    assert 'id="no-returns"' in filtered  # February's Guangdong returns are past review
    en = client.get("/review/returns?lang=en").text
    assert "Approve the ticked returns" in en and "Review of returns" in en


def test_the_ministry_sees_every_province_and_the_bulk_actions(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    client = log_in(y, "chief")
    listed = {int(r["id"]) for r in rows_of(client.get("/review/returns").text, "returns-table")}
    assert {ids["bj-cmcc-03"], ids["gd-cmcc-03"], ids["sh-cmcc-03"], ids["bj-cmcc-02"]} <= listed
    assert "批量接收" in client.get("/review/returns?state=approved").text
    assert "批量发布" in client.get("/review/returns?state=accepted").text


def test_a_return_page_shows_comparisons_flags_explanations_and_rounds(
        reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    client = log_in(y, "bj-reviewer")
    page = client.get(f"/review/returns/{ids['bj-ctcc-03']}")
    assert page.status_code == 200
    text = page.text
    assert "北京市" in text and "中国电信" in text and "2026-03" in text
    items = rows_of(text, "items-table")
    assert [r["indicator"] for r in items] == list(y.forms["OPM"].indicator_codes)
    history = rows_of(text, "history-table")
    assert [h["action"] for h in history] == ["save", "submit", "return", "submit"]
    corrected = figures(3, "ctcc")["bs_5g"]
    assert RETURN_MESSAGE in text and f"31,000 → {corrected:,.0f}" in text  # the correction, old → new
    assert 'id="rounds-table"' in text and "第 2 次提交" in text
    assert 'data-step="approve"' in text and 'data-step="return"' in text and 'data-step="accept"' not in text


def test_change_against_the_month_before(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    client = log_in(y, "gd-reviewer")
    text = client.get(f"/review/returns/{ids['gd-cmcc-03']}").text
    # February 1.02 × base, March 1.03 × base: +1.0% on every item.
    row = text.split('data-indicator="bs_5g"', 1)[1].split("</tr>", 1)[0]
    assert "40,800" in row and "41,200" in row and "+1.0%" in row


def test_a_soft_rule_hit_shows_with_the_reporters_explanation(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    client = log_in(y, "gd-reviewer")
    text = client.get(f"/review/returns/{ids['gd-ctcc-03']}").text
    row = text.split('data-indicator="bs_5ga"', 1)[1].split("</tr>", 1)[0]
    # February 0.6 × 1.02 × 3,000 = 1,836; March 3,000: +63.4%, beyond the 30% of the soft rule, explained.
    assert "1,836" in row and "3,000" in row and "+63.4%" in row and 'class="num jump"' in row
    assert "需说明 · 已说明" in row and JUMP_NOTE in row
    assert "逾期" in text  # first submitted on 2026-04-12, after the deadline of the 10th


def test_a_guangdong_reviewer_cannot_open_a_beijing_return(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    client = log_in(y, "gd-reviewer")
    beijing, nothing = ids["bj-cmcc-03"], 999_999
    theirs = client.get(f"/review/returns/{beijing}")
    none = client.get(f"/review/returns/{nothing}")
    assert theirs.status_code == none.status_code == 404
    said = [re.search(r'<p class="error-message">([^<]*)</p>', r.text) for r in (theirs, none)]
    assert said[0] and said[1] and said[0][1].replace(str(beijing), "N") == said[1][1].replace(str(nothing), "N")
    assert said[0][1] == f"报表 {beijing} 不存在或无权查看"
    # Nor act on it through the API.
    refused = client.post(f"/api/v1/returns/{beijing}/approve", json={"message": ""}, headers=csrf(client))
    assert refused.status_code == 404


def test_the_public_and_non_reviewers_are_refused(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    public = TestClient(create_app(y))
    for path in ("/review/returns", f"/review/returns/{ids['gd-cmcc-03']}"):
        answer = public.get(path)
        assert answer.status_code == 401 and "请先登录" in answer.text and 'href="/login' in answer.text
    reporter = log_in(y, "gd-reporter")
    for path in ("/review/returns", f"/review/returns/{ids['gd-cmcc-03']}"):
        answer = reporter.get(path)
        assert answer.status_code == 403 and "仅审核人员" in answer.text


def test_four_eyes_refusal_comes_back_per_return(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    """What the bulk approval's script does, one POST per return: the ministry's own return is refused."""
    y, ids = reporting
    client = log_in(y, "chief")
    headers = csrf(client)
    own = client.post(f"/api/v1/returns/{ids['gd-cucc-03']}/approve", json={"message": ""}, headers=headers)
    assert own.status_code == 400
    assert own.json()["error"]["issues"][0]["code"] == "review.four_eyes"
    with session_scope(y.engine) as s:
        assert submissions.get(s, ids["gd-cucc-03"]).state == "submitted"  # nothing changed


@pytest.mark.parametrize(("user", "name", "steps"), [
    ("gd-reviewer", "gd-cmcc-03", ["approve", "return"]),  # submitted
    ("gd-reviewer", "gd-ctcc-02", ["unlock"]),  # approved: the province may open cells again, not accept
    ("chief", "gd-ctcc-02", ["accept", "unlock"]),
    ("gd-reviewer", "gd-cmcc-02", []),  # accepted: the ministry's
    ("chief", "gd-cmcc-02", ["publish", "unlock"]),
])
def test_each_reviewer_is_offered_the_steps_it_may_take(reporting: tuple[Yangfan, dict[str, int]], user: str,
                                                       name: str, steps: list[str]) -> None:
    y, ids = reporting
    text = log_in(y, user).get(f"/review/returns/{ids[name]}").text
    assert re.findall(r'data-step="([a-z]+)"', text) == steps
    assert ("当前状态下您没有可执行的操作" in text) == (not steps)


def test_the_return_page_in_english(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, ids = reporting
    text = log_in(y, "bj-reviewer").get(f"/review/returns/{ids['bj-ctcc-03']}?lang=en").text
    assert "退回" not in text.split("<main>", 1)[1].split(RETURN_MESSAGE)[0]  # English around the reviewer's words
    assert "Beijing" in text and "China Telecom" in text and "Submissions compared" in text
    assert "returned, to correct" in text and f"{y.catalog.indicators['bs_5g'].name_en} " in text
