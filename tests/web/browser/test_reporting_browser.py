"""填报 in Debian's Chromium, as reporters use it: an error in the entry grid and its fix, a soft-rule hit that
needs an explanation, uploads with errors (a CSV, a GBK file with Chinese headers, a filled template), and a
return sent back by its reviewer. Screenshots land in test-artifacts/ for people to look at."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.web.conftest import serving
from tests.web.reporting_builders import (
    OPM_OCTOBER,
    OPM_SEPTEMBER,
    PASSWORD,
    RETURN_MESSAGE,
    console_errors,
    platform_with_returns,
)
from yangfan.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """China Mobile's September in Guangdong submitted; Guangdong's PRQ 2026Q1 submitted and 2026Q2 returned."""
    y = platform_with_returns(Path(tmp_path_factory.mktemp("reporting-browser")))
    y.rebuild()
    with serving(create_app(y)) as served:
        yield served


def _log_in(chromium: Any, url: str, username: str, lang: str = "zh") -> Any:
    page = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", accept_downloads=True
                                ).new_page()
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/reporting?lang={lang}")  # a reporter lands on what it owes
    return page


def _fill(page: Any, figures: dict[str, Any]) -> None:
    for code, value in figures.items():
        page.fill(f"#v-{code}", str(value))


def test_entry_grid_error_fix_explanation_and_submit(chromium: Any, url: str, artifacts_dir: Path) -> None:
    page = _log_in(chromium, url, "cmcc-reporter")
    errors = console_errors(page)
    assert page.locator("[data-count=todo] .n").inner_text() == "309"  # 31 provinces × 10 months, less one
    assert page.locator("tr.reminder").count() == 31  # October's returns are due in five days
    page.screenshot(path=str(artifacts_dir / "reporting-obligations.png"), full_page=True)
    page.click("#calendar-link")
    page.wait_for_selector("table.rp-calendar")
    assert "OPM 2026-10 截止" in page.locator('td[data-day="2026-11-10"]').inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-calendar.png"), full_page=True)
    page.click("#view-list")
    page.wait_for_selector("#calendar-list")
    page.screenshot(path=str(artifacts_dir / "reporting-calendar-list.png"), full_page=True)

    page.goto(f"{url}/reporting/OPM/440000/2026-10?reporter=cmcc&lang=zh")
    assert page.locator("#prev-bs_5g").inner_text() == "70,000"
    _fill(page, {**OPM_OCTOBER, "bs_5g": -5})
    page.wait_for_selector("#p-bs_5g li.hard:has-text('为负数')")
    assert "为负数（-5）" in page.locator("#p-bs_5g").inner_text()
    assert page.locator("#row-bs_5g.has-hard").count() == 1 and page.locator("#submit").is_disabled()
    assert "须改正" in page.locator("#check-status").inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-entry-error.png"), full_page=True)

    page.fill("#v-bs_5ga", "５０００")  # full-width digits: refused on the spot
    assert "半角" in page.locator("#p-bs_5ga").inner_text()
    page.fill("#v-bs_5ga", "5,000")
    page.fill("#v-bs_5g", "71,000")  # thousands commas are fine
    page.fill("#v-bs_5g_redcap", "20000")  # double September's: a soft hit
    page.wait_for_selector("#p-bs_5g_redcap li.soft")
    page.wait_for_function("!document.querySelector('#row-bs_5g').classList.contains('has-hard')")
    assert "较上月" in page.locator("#p-bs_5g_redcap").inner_text()
    assert page.locator("#x-bs_5g_redcap.needed").is_visible() and page.locator("#submit").is_disabled()
    assert "环比 +100.0%" in page.locator("#c-bs_5g_redcap").inner_text()
    assert page.locator("#hint-bs_5g").inner_text() == "= 7.1 万个"
    page.screenshot(path=str(artifacts_dir / "reporting-entry-soft.png"), full_page=True)

    page.fill("#x-bs_5g_redcap", "RedCap 升级工程本月集中开通，基站数翻倍属实")
    page.wait_for_selector("#check-status.ok")
    assert page.locator("#p-bs_5g_redcap li.explained").count() == 1
    page.click("#submit")
    page.wait_for_selector("#flash")
    assert "已提交，等待审核" in page.locator("#flash").inner_text()
    assert page.locator("#state").inner_text() == "已提交，待审核" and page.locator("#withdraw").is_visible()
    assert page.locator("#v-bs_5g").input_value() == "71000"
    assert page.locator("#v-bs_5g").get_attribute("readonly") is not None
    assert "RedCap 升级工程" in page.locator("#x-bs_5g_redcap").input_value()
    assert "5G基站数: — → 71,000" in page.locator("#history").inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-entry-submitted.png"), full_page=True)

    page.click("#withdraw")
    page.wait_for_url("**done=withdrawn")
    assert "已撤回" in page.locator("#flash").inner_text() and page.locator("#state").inner_text() == "草稿"
    assert errors == []


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def test_an_upload_with_errors_shows_where_they_are(chromium: Any, url: str, artifacts_dir: Path,
                                                     tmp_path: Path) -> None:
    page = _log_in(chromium, url, "gd-reporter")
    errors = console_errors(page)
    page.click("#upload-link")
    page.wait_for_selector("#upload-form")
    bad = tmp_path / "gd-values.csv"
    bad.write_bytes(_csv([["indicator", "org_unit", "period", "value"], ["bs_5g", "440000", "2026-10", "325000"],
                          ["factories_5g", "440000", "2026-09", "-5"]]))
    page.set_input_files("#file", str(bad))
    page.click("#check")
    page.wait_for_selector("#problems tbody tr")
    row = page.locator("#problems tbody tr.hard").first.inner_text()
    assert "错误" in row and "第 3 行 D 列" in row and "5G工厂数" in row and "为负数" in row
    assert "1 个错误" in page.locator("#upload-status").inner_text() and page.locator("#upload-submit").is_hidden()
    assert page.locator("#annotated").is_hidden()  # a CSV has no workbook to mark
    page.screenshot(path=str(artifacts_dir / "reporting-upload-csv-problems.png"), full_page=True)

    gbk = tmp_path / "广东数据.csv"  # saved by Excel on Chinese Windows: GBK, Chinese headers
    gbk.write_bytes(_csv([["指标", "地区代码", "期间", "数值"], ["factories_5g", "440000", "2026-09", "-7"]], "gbk"))
    page.set_input_files("#file", str(gbk))
    page.click("#check")
    page.wait_for_selector("#problems tbody tr")
    assert "第 2 行 D 列" in page.locator("#problems tbody tr").first.inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-upload-gbk-problems.png"), full_page=True)

    good = tmp_path / "good.csv"
    good.write_bytes(_csv([["指标", "地区代码", "期间", "数值"], ["factories_5g", "440000", "2026-09", "131"]], "gbk"))
    page.set_input_files("#file", str(good))
    page.click("#check")
    page.wait_for_selector("#upload-submit:visible")
    assert "没有发现问题" in page.locator("#upload-status").inner_text()
    page.click("#upload-submit")
    page.wait_for_selector("#upload-result.ok")
    done = page.locator("#upload-result").inner_text()
    assert "已导入" in done and "新增 1 个" in done
    page.screenshot(path=str(artifacts_dir / "reporting-upload-done.png"), full_page=True)
    assert errors == []


def test_a_filled_template_comes_back_marked_then_submits(chromium: Any, url: str, artifacts_dir: Path,
                                                          tmp_path: Path) -> None:
    page = _log_in(chromium, url, "cmcc-reporter")
    errors = console_errors(page)
    entry = f"{url}/reporting/OPM/440000/2026-08?reporter=cmcc&lang=zh"
    page.goto(entry)
    _fill(page, {**OPM_SEPTEMBER, "users_5g_a": -1})  # an error carried into the template
    page.click("#save")
    page.wait_for_selector("#flash")
    assert "草稿已保存" in page.locator("#flash").inner_text()
    with page.expect_download() as got:
        page.click("#template-link")
    assert got.value.suggested_filename == "OPM_440000_cmcc_2026-08.xlsx"
    template = tmp_path / got.value.suggested_filename
    got.value.save_as(template)

    page.click("#upload-link")
    page.wait_for_selector("#target")
    page.set_input_files("#file", template)
    page.click("#check")
    page.wait_for_selector("#problems tbody tr.hard")
    where = page.locator("#problems tbody tr.hard td.where").first.inner_text()
    problem = page.locator("#problems tbody tr.hard").first.inner_text()
    assert "!" in where and "5G-A用户数" in problem and "广东省 · 2026-08 · 中国移动" in problem
    page.screenshot(path=str(artifacts_dir / "reporting-upload-template-problems.png"), full_page=True)
    with page.expect_download() as marked:
        page.click("#annotated")
    assert marked.value.suggested_filename.endswith("_问题.xlsx")
    marked.value.save_as(tmp_path / marked.value.suggested_filename)
    book = load_workbook(tmp_path / marked.value.suggested_filename)
    sheet, cell = where.split("!")
    assert book[sheet][cell].comment is not None  # the problem cell carries its comment
    page.wait_for_selector("#upload-result.ok")

    page.goto(entry)
    page.fill("#v-users_5g_a", "1,000,000")
    page.click("#save")
    page.wait_for_selector("#flash")
    with page.expect_download() as fixed:
        page.click("#template-link")
    page.click("#upload-link")
    page.wait_for_selector("#target")
    (tmp_path / "fixed").mkdir()
    fixed.value.save_as(tmp_path / "fixed" / fixed.value.suggested_filename)
    page.set_input_files("#file", tmp_path / "fixed" / fixed.value.suggested_filename)
    page.click("#check")
    page.wait_for_selector("#upload-submit:visible")
    page.click("#upload-submit")
    page.wait_for_selector("#upload-result.ok")
    assert "已提交报表 OPM / 广东省 / 中国移动 / 2026-08" in page.locator("#upload-result").inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-upload-template-done.png"), full_page=True)
    page.click("#result-link")
    page.wait_for_selector("#state")
    assert page.locator("#state").inner_text() == "已提交，待审核"
    assert errors == []


def test_the_reporter_sees_the_return_message_and_resubmits(chromium: Any, url: str, artifacts_dir: Path) -> None:
    page = _log_in(chromium, url, "gd-reporter")
    errors = console_errors(page)
    returned = page.locator("#returned")
    assert RETURN_MESSAGE in returned.inner_text() and "审核意见" in returned.inner_text()
    assert page.locator("[data-count=returned] .n").inner_text() == "1"
    assert page.locator("#obligations tbody tr").first.get_attribute("data-state") == "returned"
    page.screenshot(path=str(artifacts_dir / "reporting-returned-list.png"), full_page=True)
    returned.locator("text=去修改").click()
    page.wait_for_selector("#return-message")
    assert RETURN_MESSAGE in page.locator("#return-message").inner_text()
    assert page.locator("#row-factories_5g.flagged").count() == 1
    assert "审核人标记" in page.locator("#row-factories_5g").inner_text()
    assert page.locator("#prev-industrial_enterprises_lm").inner_text() == "9,000"  # 2026Q1, as submitted
    page.wait_for_selector("#check-status.ok")  # as returned, it passes the rules
    page.screenshot(path=str(artifacts_dir / "reporting-returned-entry.png"), full_page=True)
    page.fill("#v-factories_5g", "128")
    page.wait_for_selector("#check-status.ok")
    page.click("#submit")
    page.wait_for_selector("#flash")
    assert page.locator("#state").inner_text() == "已提交，待审核"
    assert page.locator("#return-message").count() == 0
    page.goto(f"{url}/reporting?lang=en")
    assert page.locator("#returned").count() == 0 and page.locator("[data-count=returned] .n").inner_text() == "0"
    assert "Returned" in page.locator("#counts").inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-obligations-en.png"), full_page=True)
    page.goto(f"{url}/reporting/PRQ/440000/2026Q3?lang=en")
    page.fill("#v-industrial_enterprises_lm_5g", "１２")
    page.wait_for_selector("#p-industrial_enterprises_lm_5g li.hard:has-text('full-width')")
    page.fill("#v-industrial_enterprises_lm_5g", "-12")
    page.wait_for_selector("#p-industrial_enterprises_lm_5g li.hard:has-text('is negative')")
    assert "error(s) to correct" in page.locator("#check-status").inner_text()
    page.screenshot(path=str(artifacts_dir / "reporting-entry-en.png"), full_page=True)
    assert errors == []
