"""报表审核 in Debian's Chromium: a reviewer returns one value with a message after confirming in the page; the
ministry approves several returns at once and reads each one's result (one refused: four eyes).
Screenshots land in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import serving
from tests.web.test_returns_review import PASSWORD, RETURN_MESSAGE, reporting_platform
from yangfan.context import Yangfan
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Yangfan, dict[str, int]]]:
    """The platform with its returns, served."""
    y, ids = reporting_platform(Path(tmp_path_factory.mktemp("returns-browser")))
    with serving(create_app(y)) as url:
        yield url, y, ids


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _log_in(page: Any, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#logout")


def test_a_reviewer_returns_one_value_with_a_message(page: Any, served: tuple[str, Yangfan, dict[str, int]],
                                                     artifacts_dir: Path) -> None:
    url, y, ids = served
    errors = _errors(page)
    _log_in(page, url, "gd-reviewer")
    page.click("#returns-link")
    page.wait_for_selector("#returns-table")
    page.screenshot(path=str(artifacts_dir / "returns-review-list.png"), full_page=True)
    page.click(f'#returns-table tr[data-id="{ids["gd-cmcc-03"]}"] a.open-return')
    page.wait_for_selector("#items-table")
    assert not page.locator("#step-confirm").is_visible()  # until an action is chosen
    assert "广东省" in page.locator("h1").inner_text() and "中国移动" in page.locator("h1").inner_text()
    # A return without a message is refused in the page, before anything is sent.
    page.click('button[data-step="return"]')
    assert "须填写说明" in page.locator("#step-error").inner_text()
    page.check('#items-table tr[data-indicator="bs_5g"] input[name="cell"]')
    page.fill("#step-message", RETURN_MESSAGE)
    page.click('button[data-step="return"]')
    page.wait_for_selector("#step-confirm:not([hidden])")
    question = page.locator("#step-confirm").inner_text()
    assert "退回" in question and RETURN_MESSAGE in question and "5G基站数" in question
    page.screenshot(path=str(artifacts_dir / "return-review-confirm.png"), full_page=True)
    page.click("#step-confirm-button")
    page.wait_for_selector("#result:not([hidden])")
    assert "已退回" in page.locator("#result").inner_text()
    assert page.locator("#return-state").get_attribute("data-state") == "returned"
    assert page.locator('#items-table tr[data-indicator="bs_5g"].flagged').count() == 1
    assert RETURN_MESSAGE in page.locator("#history-table").inner_text()
    page.screenshot(path=str(artifacts_dir / "return-review-returned.png"), full_page=True)
    with session_scope(y.engine) as s:
        row = submissions.get(s, ids["gd-cmcc-03"])
        assert (row.state, row.message) == ("returned", RETURN_MESSAGE)
        flagged = {k[0] for k, c in submissions.cells(s, row.id).items() if c.flagged}
        last = submissions.history(s, row.id)[-1]
    assert flagged == {"bs_5g"}
    assert (last.action, last.actor, last.message) == ("return", "gd-reviewer", RETURN_MESSAGE)
    assert errors == []


def test_bulk_approval_confirms_then_lists_each_result(page: Any, served: tuple[str, Yangfan, dict[str, int]],
                                                       artifacts_dir: Path) -> None:
    url, y, ids = served
    errors = _errors(page)
    _log_in(page, url, "chief")
    page.goto(url + "/review/returns?form=OPM&period=2026-03")
    page.wait_for_selector("#returns-table")
    theirs, own = ids["gd-ctcc-03"], ids["gd-cucc-03"]  # the ministry filed Guangdong's cucc return itself
    assert not page.locator("#bulk-confirm").is_visible() and not page.locator("#bulk-results").is_visible()
    page.click("#bulk-button")
    assert "请先勾选报表" in page.locator("#bulk-error").inner_text()
    for i in (theirs, own):
        page.check(f'#returns-table tr[data-id="{i}"] input[name="id"]')
    page.click("#bulk-button")
    page.wait_for_selector("#bulk-confirm:not([hidden])")
    assert "对以下 2 份报表执行“审核通过”" in page.locator("#bulk-question").inner_text()
    assert page.locator("#bulk-list li").count() == 2
    page.screenshot(path=str(artifacts_dir / "returns-bulk-confirm.png"), full_page=True)
    page.click("#bulk-confirm-button")
    page.wait_for_selector("#bulk-results[data-done]")
    assert not page.locator("#bulk-confirm").is_visible()
    assert "成功 1 份，未执行 1 份" in page.locator("#bulk-summary").inner_text()
    assert "省级已审核" in page.locator(f'#bulk-result-list li.ok[data-id="{theirs}"]').inner_text()
    assert "另一位审核人" in page.locator(f'#bulk-result-list li.refused[data-id="{own}"]').inner_text()
    page.screenshot(path=str(artifacts_dir / "returns-bulk-results.png"), full_page=True)
    with session_scope(y.engine) as s:
        assert submissions.get(s, theirs).state == "approved"
        assert submissions.get(s, own).state == "submitted"
    page.click("#bulk-reload")
    page.wait_for_selector("#returns-table")
    assert page.locator(f'#returns-table tr[data-id="{theirs}"]').count() == 0  # approved: off the list
    assert page.locator(f'#returns-table tr[data-id="{own}"]').count() == 1
    assert [e for e in errors if "400" not in e] == []  # the refused POST answers 400
