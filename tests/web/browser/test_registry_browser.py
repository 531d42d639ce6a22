"""名录 in Debian's Chromium, on the served demo: the public searches, filters and opens a record; the ministry
recognises an application from the review page and reads the result, and sees the possible duplicates side by
side. Screenshots land in test-artifacts/issue13/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.registry_builders import entered, unique
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.store.models import RegistryRecordRow

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def shots(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "issue13"
    path.mkdir(exist_ok=True)
    return path


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_search_filter_and_open_a_record(page: Any, live_url: str, shots: Path) -> None:
    errors = _errors(page)
    page.goto(live_url + "/")
    page.click("#registry-link")
    page.wait_for_selector("#registry-table")
    page.screenshot(path=str(shots / "registry-list.png"), full_page=False)
    page.fill("#q", "广州")
    page.select_option("#kind-select", "city")
    page.click("#search-button")
    page.wait_for_url("**/registry?*kind=city*")
    rows = page.locator("#registry-table tbody tr")
    assert rows.count() >= 1 and "广州市" in rows.first.inner_text()
    assert "城市名单" in rows.first.inner_text() and page.locator("#kind-select").input_value() == "city"
    page.click("#registry-table a.record-link >> text=广州市")
    page.wait_for_selector("#facts")
    assert page.locator("#record-status").get_attribute("data-status") == "recognised"
    assert "2024-12-02" in page.locator("#facts").inner_text() and "458号" in page.locator("#facts").inner_text()
    page.screenshot(path=str(shots / "registry-record.png"), full_page=True)
    assert errors == []


def test_the_ministry_recognises_an_application(page: Any, live_url: str, demo: Yangfan,
                                                page_users: dict[str, str], shots: Path) -> None:
    errors = _errors(page)
    name = unique("浏览器测试典型案例")
    record, _a = entered(demo, "case", "typical_case", name, "440100", status="applied", sector="health",
                         attach=True)
    page.goto(live_url + "/login")
    page.fill("#username", page_users["admin"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#logout")
    page.goto(live_url + "/registry")
    page.click("#review-link")
    page.wait_for_selector("#review-table")
    row = page.locator(f'#review-table tr[data-id="{record}"]')
    assert name in row.inner_text() and "1" in row.locator("td.num").inner_text()  # its PDF
    row.locator('input[name="message"]').fill("材料齐全，予以认定")
    row.locator("button.recognise").click()
    page.wait_for_selector("#result")
    assert f"#{record} · 已认定" in page.locator("#result").inner_text()
    assert page.locator(f'#review-table tr[data-id="{record}"]').count() == 0
    page.screenshot(path=str(shots / "registry-review-done.png"), full_page=False)
    page.click(f'#result a[href^="/registry/{record}"]')
    page.wait_for_selector("#history-table")
    assert "材料齐全，予以认定" in page.locator("#history-table").inner_text()
    with session_scope(demo.engine) as s:
        assert s.get(RegistryRecordRow, record).status == "recognised"  # type: ignore[union-attr]
    page.click("#duplicates-link")
    page.wait_for_selector(".rg-pair")
    page.screenshot(path=str(shots / "registry-duplicates.png"), full_page=False)
    assert errors == []
