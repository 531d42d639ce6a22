"""The 填报 pages over the in-process client: who sees what, the obligations' counts and highlights, the calendar,
the entry grid beside the periods before, the upload page; the public is sent to the login page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.reporting_builders import DPY_YEAR, PASSWORD, RETURN_MESSAGE, platform_with_returns, submit
from yangfan.context import Yangfan
from yangfan.geo.orgunits import NATION
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.web.app import create_app
from yangfan.web.i18n import TEXTS


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    """Guangdong's PRQ 2026Q1 submitted and its 2026Q2 returned with a message; China Mobile's September in
    Guangdong submitted."""
    y = platform_with_returns(Path(tmp_path_factory.mktemp("reporting-pages")))
    dpy = submit(y, "DPY", NATION, "caict", "2025", DPY_YEAR, "analyst")
    with session_scope(y.engine) as s:
        submissions.act(s, "chief", dpy, "approve", lambda _r: True)
        submissions.act(s, "chief", dpy, "unlock", lambda _r: True, "融合应用标准数请按年末口径更正",
                        [("standards_5g_fusion", "")])
    return y


@pytest.fixture(scope="module")
def app(platform: Yangfan) -> FastAPI:
    return create_app(platform)


def signed_in(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    assert client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).status_code == 200
    return client


@pytest.mark.parametrize("path", ["/reporting", "/reporting/calendar", "/reporting/upload",
                                  "/reporting/PRQ/440000/2026Q3"])
def test_the_public_is_sent_to_log_in(app: FastAPI, path: str) -> None:
    r = TestClient(app).get(path + "?lang=en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?lang=en"


def test_a_provincial_reporter_sees_only_its_own_returns(app: FastAPI) -> None:
    html = signed_in(app, "gd-reporter").get("/reporting").text
    rows = re.findall(r'<tr class="([^"]*)" data-form="(\w+)" data-period="(\w+)" data-state="(\w+)"', html)
    assert [(form, period, state) for _css, form, period, state in rows] == [
        ("PRQ", "2026Q2", "returned"), ("PRQ", "2026Q3", "not_started"), ("PRQ", "2026Q1", "submitted")]
    assert "overdue" in rows[1][0]  # Q3 was due on 20 October
    assert "广东省" in html and "江苏省" not in html and "OPM" not in html  # the operators' returns are theirs
    counts = dict(re.findall(r'data-count="(\w+)">\s*<a href="[^"]*"><span class="n">(\d+)</span>', html))
    assert counts == {"todo": "1", "returned": "1", "overdue": "2", "received": "1"}


def test_a_returned_return_is_on_top_with_the_reviewers_message(app: FastAPI) -> None:
    html = signed_in(app, "gd-reporter").get("/reporting").text
    returned = html[html.index('id="returned"'):html.index('id="filters"')]
    assert RETURN_MESSAGE in returned and "审核意见" in returned
    assert 'href="/reporting/PRQ/440000/2026Q2?lang=zh"' in returned and "去修改" in returned


def test_an_operator_reporter_sees_its_operator_in_every_province(app: FastAPI, platform: Yangfan) -> None:
    client = signed_in(app, "cmcc-reporter")
    html = client.get("/reporting?form=OPM&period=2026-10").text
    assert html.count('data-form="OPM" data-period="2026-10"') == 31
    assert "中国移动" in html and "中国电信" not in html and "PRQ" not in html
    assert 'class="reminder state-not_started"' in html and "还剩 5 天" in html  # due 10 November
    september = client.get("/reporting?form=OPM&period=2026-09&org_unit=440000").text
    assert september.count('data-state="submitted"') == 1 and "按时提交" not in september  # submitted late
    overdue = client.get("/reporting?state=overdue").text
    assert "第 1/6 页，共 278 份" in overdue  # 31 provinces × 9 months due, less September in Guangdong


def test_filters_and_english(app: FastAPI) -> None:
    html = signed_in(app, "gd-reporter").get("/reporting?state=received&lang=en").text
    assert "My returns" in html and "Guangdong" in html and "submitted, awaiting review" in html
    assert html.count("data-form=") == 1


def test_the_ministry_analyst_reports_the_departments_return(app: FastAPI) -> None:
    html = signed_in(app, "analyst").get("/reporting").text
    assert 'data-form="DPY" data-period="2025"' in html and "PRQ" not in html.split('id="obligations"')[1]


def test_a_user_without_a_reporting_role_is_told_so(app: FastAPI) -> None:
    html = signed_in(app, "gd-reviewer").get("/reporting").text
    assert 'id="no-role"' in html and "没有填报角色" in html and 'href="/review?lang=zh"' in html


def test_the_calendar_marks_deadlines_and_open_returns(app: FastAPI) -> None:
    client = signed_in(app, "gd-reporter")
    html = client.get("/reporting/calendar").text
    assert "2026年11月" in html and "2026年12月" in html
    november = html[html.index('data-day="2026-11-10"'):]
    assert "OPM 2026-10 截止" in november[:600] and "rp-event deadline" in november[:600]
    assert 'class="rp-notice overdue"' in html and "你有 2 份报表已逾期未报" in html  # Q3, and Q2 returned
    listed = client.get("/reporting/calendar?month=2026-10&view=list").text
    rows = re.findall(r'<tr class="([^"]*)">\s*<td class="nowrap">([\d-]+)</td>\s*<td>(\S+)</td>\s*'
                      r'<td><span class="code">(\w+)</span>[^<]*<span class="note">[^<]*</span></td>\s*'
                      r'<td>([\w-]+)</td>\s*<td class="num">(.*?)</td>',
                      listed, re.S)
    prq = [r for r in rows if r[3] == "PRQ" and r[4] == "2026Q3" and r[2] == "截止"]
    assert len(prq) == 1 and prq[0][0].startswith("overdue") and prq[0][1] == "2026-10-20" and "未报 1 份" in prq[0][5]
    opm = [r for r in rows if r[3] == "OPM" and r[2] == "截止"]
    assert opm and all("非你报送" in r[5] for r in opm)


def test_the_entry_grid_shows_units_decimals_and_the_periods_before(app: FastAPI) -> None:
    html = signed_in(app, "cmcc-reporter").get("/reporting/OPM/440000/2026-10?reporter=cmcc").text
    row = html[html.index('id="row-bs_5g"'):html.index('id="row-bs_5g_redcap"')]
    assert "5G基站数" in row and "<td>个</td>" in row and 'id="prev-bs_5g">70,000<' in row
    assert 'id="yb-bs_5g">—<' in row and 'class="rp-value"' in row and "readonly" not in row
    assert "广东省" in html and "中国移动" in html and "未填报" in html and "还剩 5 天" in html
    assert 'href="/api/v1/returns/OPM/440000/2026-10/template.xlsx?reporter=cmcc"' in html
    assert 'id="entry-data"' in html and '"editable": true' in html
    assert "<script>" not in html  # the data block is JSON, never run (CSP)


def test_a_returned_return_shows_the_message_flagged_cells_and_history(app: FastAPI) -> None:
    html = signed_in(app, "gd-reporter").get("/reporting/PRQ/440000/2026Q2").text
    assert RETURN_MESSAGE in html[html.index('id="return-message"'):]
    assert 'id="row-factories_5g" data-indicator="factories_5g" class="flagged"' in html
    history = html[html.index('id="history"'):]
    assert history.index("退回") < history.index("提交")  # newest first
    assert "gd-reviewer" in history and "5G工厂数" in history  # the flagged cell named


def test_another_provinces_return_is_refused(app: FastAPI) -> None:
    r = signed_in(app, "js-reporter").get("/reporting/PRQ/440000/2026Q3")
    assert r.status_code == 403 and "无权填报或查看报表" in r.text
    r = signed_in(app, "cmcc-reporter").get("/reporting/OPM/440000/2026-10?reporter=ctcc&lang=en")
    assert r.status_code == 403 and "not yours" in r.text


def test_a_submitted_return_reads_only_and_offers_withdrawal(app: FastAPI) -> None:
    html = signed_in(app, "gd-reporter").get("/reporting/PRQ/440000/2026Q1").text
    assert 'id="withdraw"' in html and 'id="submit"' not in html and "审核前你可以撤回" in html
    assert html.count("readonly") >= 5


def test_a_reviewer_sees_the_grid_without_inputs_to_change(app: FastAPI) -> None:
    html = signed_in(app, "gd-reviewer").get("/reporting/PRQ/440000/2026Q3").text
    assert 'id="readonly-note"' in html and 'id="save"' not in html


def test_unknown_form_or_wrong_period_is_a_clear_error(app: FastAPI) -> None:
    client = signed_in(app, "gd-reporter")
    assert "不能填报期间 2026-10" in client.get("/reporting/PRQ/440000/2026-10").text
    r = client.get("/reporting/ABC/440000/2026Q3")
    assert r.status_code == 404 and "未知表单" in r.text


def test_the_upload_page_names_the_return_it_is_for(app: FastAPI) -> None:
    client = signed_in(app, "cmcc-reporter")
    html = client.get("/reporting/upload?form=OPM&org_unit=440000&period=2026-10&reporter=cmcc").text
    assert 'id="upload-form"' in html and 'name="file"' in html and 'enctype="multipart/form-data"' in html
    assert "对应报表" in html and "template.xlsx?reporter=cmcc" in html
    assert client.get("/reporting/upload?form=OPM&org_unit=440000&period=2026-10&reporter=ctcc").status_code == 403


def test_a_reporter_lands_on_its_obligations_after_logging_in(app: FastAPI) -> None:
    client = signed_in(app, "gd-reporter")
    r = client.get("/?lang=en", headers={"referer": "http://testserver/login?lang=en"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reporting?lang=en"
    analyst = signed_in(app, "analyst")
    r = analyst.get("/", headers={"referer": "http://testserver/login"}, follow_redirects=False)
    assert r.status_code != 303  # the cockpit for everyone else


def test_the_nav_links_to_reporting() -> None:
    base = (Path(__file__).parents[2] / "src/yangfan/web/templates/base.html").read_text(encoding="utf-8")
    assert 'href="/reporting?lang={{ lang }}"' in base


def test_state_names_match_the_workflow() -> None:
    from yangfan.store.submissions import STATE_ZH, STEP_ZH

    assert {s: TEXTS[f"rp_state_{s}"]["zh"] for s in STATE_ZH} == STATE_ZH
    assert {s: TEXTS[f"rp_step_{s}"]["zh"] for s in STEP_ZH} == STEP_ZH


def test_after_an_unlock_only_the_unlocked_cells_take_input(app: FastAPI) -> None:
    html = signed_in(app, "analyst").get(f"/reporting/DPY/{NATION}/2025?reporter=caict").text
    assert "第 2 轮" in html and "融合应用标准数请按年末口径更正" in html and 'id="unlocked-note"' in html
    open_ = html[html.index('id="v-standards_5g_fusion"'):].split(">", 1)[0]
    locked = html[html.index('id="v-security_benchmarks"'):].split(">", 1)[0]
    assert "readonly" not in open_ and "readonly" in locked
    assert 'id="row-security_benchmarks" data-indicator="security_benchmarks" class=" locked"' in html
    history = html[html.index('id="history"'):]
    assert "解锁更正" in history and "审核通过" in history
