"""The pages in Debian's Chromium: charts drawn, the map drilled by a click, login and logout, a refusal.

Screenshots land in test-artifacts/ for people to look at (CJK must render, no tofu boxes).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _no_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


CHART = "echarts.getInstanceByDom(document.getElementById('series-chart'))"


def test_indicator_page_draws_the_series_on_a_time_axis(page: Any, live_url: str, artifacts_dir: Path) -> None:
    from yangfan.geo.periods import parse_period

    errors = _no_errors(page)
    page.goto(live_url + "/indicators/bs_5g_per_10k")
    page.wait_for_selector("#series-chart.ready canvas")
    option = page.evaluate(f"{CHART}.getOption()")
    axis = option["xAxis"][0]
    assert axis["type"] == "time" and axis["max"] == "2027-12-01"  # the axis runs on to the last deadline
    real = option["series"][0]
    assert len(option["series"]) == 1 and real["connectNulls"] is False  # national figures are real: one line
    data = real["data"]
    gaps = [i for i, x in enumerate(data) if x["value"][1] is None]
    assert gaps  # months MIIT did not publish: an empty point, so the line breaks there
    for i in gaps:
        before, after = parse_period(data[i - 1]["name"]), parse_period(data[i + 1]["name"])
        assert before.shift(1) != after
    lines = real["markLine"]["data"]
    assert any(line.get("yAxis") == 38 for line in lines)  # U07: 38 per 10k residents by 2027
    assert any(line.get("xAxis") == "2027-12-01" for line in lines)  # and its deadline
    page.screenshot(path=str(artifacts_dir / "indicator-bs_5g_per_10k.png"), full_page=True)
    page.click("text=季度")
    page.wait_for_selector("#series-chart.ready canvas")
    assert "2025Q4" in page.locator("table.series").inner_text()
    quarters = page.evaluate(f"{CHART}.getOption().series[0].data")
    at = next(i for i, x in enumerate(quarters) if x["name"] == "2025Q4")
    assert quarters[at]["value"][0] == "2025-10-01"  # a quarter sits at its start, as every period does
    page.evaluate(f"{CHART}.dispatchAction({{type: 'showTip', seriesIndex: 0, dataIndex: {at}}})")
    page.wait_for_function("document.getElementById('series-chart').innerText.includes('2025Q4')")
    assert "2025-10-01" not in page.locator("#series-chart").inner_text()  # the tooltip names the period
    assert errors == []


def test_the_indicator_page_in_english_writes_millions(page: Any, live_url: str, artifacts_dir: Path) -> None:
    errors = _no_errors(page)
    page.goto(live_url + "/indicators/bs_5g_per_10k?lang=en")
    page.wait_for_selector("#series-chart.ready canvas")
    page.screenshot(path=str(artifacts_dir / "indicator-bs_5g_per_10k-en.png"), full_page=True)
    page.goto(live_url + "/indicators/bs_5g?lang=en")
    page.wait_for_selector("#series-chart.ready canvas")
    option = page.evaluate(f"{CHART}.getOption()")
    assert option["yAxis"][0]["name"] == "million" and option["xAxis"][0]["type"] == "time"
    assert "Value (million)" in page.locator("table.series").inner_text()
    page.screenshot(path=str(artifacts_dir / "indicator-bs_5g-en.png"), full_page=True)
    assert errors == []


def test_demo_figures_never_join_real_ones(page: Any, live_url: str, artifacts_dir: Path) -> None:
    errors = _no_errors(page)
    page.goto(live_url + "/indicators/population?org_unit=440000&freq=year")
    page.wait_for_selector("#series-chart.ready canvas")
    real, demo = page.evaluate(f"{CHART}.getOption()")["series"]
    assert (real["name"], demo["name"]) == ("年末常住人口", "演示数据")
    assert demo["lineStyle"]["type"] == "dashed" and real["lineStyle"]["type"] == "solid"
    years = {x["name"] for x in real["data"] if x["name"]}, {x["name"] for x in demo["data"] if x["name"]}
    assert all(years) and not years[0] & years[1]
    page.screenshot(path=str(artifacts_dir / "indicator-population-440000.png"), full_page=True)
    assert errors == []


def test_map_drills_from_a_province_click_to_its_cities(page: Any, live_url: str, artifacts_dir: Path) -> None:
    errors = _no_errors(page)
    page.goto(live_url + "/map?indicator=bs_5g_per_10k")
    page.wait_for_selector("#china-map.ready canvas")
    assert page.locator("#map-table tbody tr").count() == 31
    page.screenshot(path=str(artifacts_dir / "map-china.png"))
    # Where Guangdong (Guangzhou's coordinates, WGS84) is drawn on the canvas; then a real mouse click there.
    x, y = page.evaluate("window.yangfanMap.convertToPixel({seriesIndex: 0}, [113.26, 23.13])")
    box = page.locator("#china-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector("text=广东省")  # the tooltip names the province, with its rank
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**parent=440000**")
    page.wait_for_selector("#china-map.ready canvas")
    table = page.locator("#map-table").inner_text()
    assert "深圳市" in table and "广州市" in table and "演示数据" in table
    page.screenshot(path=str(artifacts_dir / "map-guangdong.png"))
    page.click("#back-to-nation")
    page.wait_for_selector("#china-map.ready canvas")
    assert page.locator("#map-table tbody tr").count() == 31
    assert errors == []


def test_login_and_logout(page: Any, live_url: str, page_users: dict[str, str], artifacts_dir: Path) -> None:
    from tests.web.conftest import PASSWORD

    errors = _no_errors(page)
    page.goto(live_url + "/login")
    page.fill("#username", page_users["admin"])
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "登录失败" in page.locator("#login-error").inner_text()
    page.screenshot(path=str(artifacts_dir / "login-failed.png"))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#logout")
    assert page_users["admin"] in page.locator(".topbar").inner_text()
    page.click("text=审计日志")
    page.wait_for_selector("#audit-table")
    assert "auth.login" in page.locator("#audit-table").inner_text()
    page.screenshot(path=str(artifacts_dir / "audit.png"))
    page.click("#logout")
    page.wait_for_url("**/login**")
    assert page.locator("#logout").count() == 0
    assert page.goto(live_url + "/audit").status == 401
    assert [e for e in errors if "401" not in e] == []  # the failed login and the last visit answer 401


def test_a_reporter_is_refused_the_audit_log(page: Any, live_url: str, page_users: dict[str, str],
                                             artifacts_dir: Path) -> None:
    from tests.web.conftest import PASSWORD

    page.goto(live_url + "/login?lang=en")
    page.fill("#username", page_users["reporter"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#logout")
    response = page.goto(live_url + "/audit?lang=en")
    assert response.status == 403
    assert "administrators only" in page.locator(".error-message").inner_text()
    page.screenshot(path=str(artifacts_dir / "forbidden-audit.png"))
    page.goto(live_url + "/audit")
    assert "仅管理员可访问" in page.locator(".error-message").inner_text()


def test_region_page(page: Any, live_url: str, artifacts_dir: Path) -> None:
    page.goto(live_url + "/regions/440000")
    assert page.locator("#comparisons tbody tr").count() >= 5
    page.screenshot(path=str(artifacts_dir / "region-guangdong.png"), full_page=True)
    page.goto(live_url + "/regions/440000?lang=en")
    assert "billion" in page.locator("#comparisons").inner_text()  # the nation's mobile users, not 亿户
    page.screenshot(path=str(artifacts_dir / "region-guangdong-en.png"), full_page=True)


def test_an_administrator_approves_and_publishes_a_submission(page: Any, live_url: str, demo: Any,
                                                              page_users: dict[str, str], artifacts_dir: Path) -> None:
    from tests.web.conftest import PASSWORD
    from yangfan.collect.importer import import_content

    content = "indicator,org_unit,period,value,unit\nvpn_5g_industry,440300,2025-06,321,个\n".encode()
    import_content(demo.engine, content, "browser-review.csv", demo.catalog, demo.tree, status="submitted")
    errors = _no_errors(page)
    page.goto(live_url + "/login")
    page.fill("#username", page_users["admin"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#logout")
    page.click(".topbar >> text=审核")
    row = page.locator("#review-table tr", has_text="440300").filter(has_text="2025-06").first
    value_id = row.get_attribute("data-id")
    assert "待审核" in row.inner_text() and "深圳市" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.fill("#review-note", "已核对")
    page.screenshot(path=str(artifacts_dir / "review.png"))
    page.click("button[data-action=approve]")
    approved = page.locator(f"#review-table tr[data-id='{value_id}'][data-status=approved]")
    approved.wait_for()
    approved.locator("input[type=checkbox]").check()
    page.click("button[data-action=publish]")
    page.locator(f"#review-table tr[data-id='{value_id}']").wait_for(state="detached")  # published: no longer pending
    assert errors == []


def test_an_approval_reaches_the_cockpit_while_the_server_runs(page: Any, tmp_path: Path,
                                                               artifacts_dir: Path) -> None:
    """A reporter's June return, approved and published in the browser, shows on the cockpit moments later: the
    server's builder applies it in the background, and the page names the build it was computed from."""
    from tests.builders import platform
    from tests.web.conftest import PASSWORD, serving
    from yangfan.access import accounts
    from yangfan.access.roles import Role
    from yangfan.collect.importer import import_content
    from yangfan.store.db import session_scope
    from yangfan.web.app import create_app

    y = platform(tmp_path)
    header = "indicator,org_unit,period,value,unit\n"
    import_content(y.engine, (header + "bs_5g,100000,2025-05,400,万个\npopulation,100000,2024,140828,万人\n").encode(),
                   "may.csv", y.catalog, y.tree, status="published")
    with session_scope(y.engine) as s:
        accounts.create_user(s, "test", "admin", PASSWORD)
        accounts.grant(s, "test", "admin", Role.administrator, None, y.tree)
    y.rebuild()
    import_content(y.engine, (header + "bs_5g,100000,2025-06,422.5,万个\n").encode(), "june.csv", y.catalog, y.tree,
                   status="submitted")
    errors = _no_errors(page)
    with serving(create_app(y)) as url:
        page.goto(url + "/")
        first_build = page.locator("#build").get_attribute("data-build")
        assert "28.4" in page.inner_text("main")  # 400万 / 140,828万 × 10⁴, May
        page.goto(url + "/login")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#logout")
        page.goto(url + "/review")
        for action in ("approve", "publish"):
            row = page.locator("#review-table tr", has_text="2025-06").first
            row.locator("input[type=checkbox]").check()
            page.click(f"button[data-action={action}]")
            if action == "approve":
                page.locator("#review-table tr[data-status=approved]").wait_for()
        page.locator("#review-table tr", has_text="2025-06").wait_for(state="detached")
        page.goto(url + "/")
        deadline = time.monotonic() + 20
        while "30.0" not in page.inner_text("main") and time.monotonic() < deadline:  # 422.5万 / 140,828万 × 10⁴
            time.sleep(0.3)
            page.reload()
        assert "30.0" in page.inner_text("main")
        assert page.locator("#build").get_attribute("data-build") != first_build
        page.screenshot(path=str(artifacts_dir / "cockpit-after-approval.png"), full_page=True)
    assert errors == []
