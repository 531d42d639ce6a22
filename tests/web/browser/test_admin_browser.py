"""用户管理 in Debian's Chromium: an administrator resets a password after confirming, the user logs in with the
temporary password and must set a new one before anything else. Screenshots land in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import platform
from tests.web.conftest import serving
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.store.db import session_scope
from yangfan.web.app import create_app

pytestmark = pytest.mark.browser
PASSWORD = "browser test password"
NEW_PASSWORD = "chosen by the user itself"


@pytest.fixture(scope="module")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small platform of its own (the shared demo store keeps its users' passwords), served."""
    y = platform(Path(tmp_path_factory.mktemp("admin-browser")))
    with session_scope(y.engine) as s:
        for name, display, role, unit in (("chief", "系统管理员", Role.administrator, None),
                                          ("gd-reporter", "广东填报员", Role.provincial_reporter, "440000")):
            accounts.create_user(s, "test", name, PASSWORD, display_name=display)
            accounts.grant(s, "test", name, role, unit, y.tree)
        accounts.create_token(s, "test", "gd-reporter", "nightly upload")
    y.rebuild()
    with serving(create_app(y)) as url:
        yield url


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _log_in(page: Any, url: str, username: str, password: str) -> None:
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_reset_with_confirmation_then_the_forced_change(chromium: Any, admin_url: str, artifacts_dir: Path) -> None:
    admin = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    errors = _errors(admin)
    _log_in(admin, admin_url, "chief", PASSWORD)
    admin.wait_for_url(admin_url + "/?lang=zh")
    admin.click("#users-link")
    admin.wait_for_selector("#users-table")
    row = admin.locator('tr[data-user="gd-reporter"]')
    assert "省级填报人员 · 广东省" in row.inner_text() and "在用" in row.inner_text()
    admin.screenshot(path=str(artifacts_dir / "admin-users.png"), full_page=True)
    row.locator("text=重置密码").click()
    admin.wait_for_selector("#confirm")
    assert "重置用户“gd-reporter”的密码？" in admin.locator("#confirm-question").inner_text()
    admin.screenshot(path=str(artifacts_dir / "admin-users-confirm.png"), full_page=True)
    admin.click("#confirm-button")
    admin.wait_for_selector("#temporary-password")
    assert "撤销了 1 个 API 令牌" in admin.locator("#result").inner_text()
    assert "须修改密码" in admin.locator('tr[data-user="gd-reporter"]').inner_text()
    temporary = admin.locator("#temporary-password").inner_text().strip()
    admin.screenshot(path=str(artifacts_dir / "admin-users-reset.png"), full_page=True)
    assert len(temporary) == 19
    admin.goto(admin_url + "/admin/users?lang=en")
    assert "must change password" in admin.locator('tr[data-user="gd-reporter"]').inner_text()
    assert temporary not in admin.content()  # shown once
    admin.screenshot(path=str(artifacts_dir / "admin-users-en.png"), full_page=True)

    user = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    user_errors = _errors(user)
    _log_in(user, admin_url, "gd-reporter", temporary)
    user.wait_for_url(admin_url + "/account/password")  # the cockpit it was sent to leads here
    assert "管理员已重置你的密码" in user.locator("#forced").inner_text()
    user.goto(admin_url + "/review")  # nothing else opens
    assert user.url == admin_url + "/account/password"
    user.screenshot(path=str(artifacts_dir / "password-forced.png"), full_page=True)
    user.fill("#current", temporary)
    user.fill("#new", NEW_PASSWORD)
    user.fill("#repeat", NEW_PASSWORD)
    user.click("#password-submit")
    user.wait_for_selector("#result")
    assert "密码已修改" in user.locator("#result").inner_text()
    user.goto(admin_url + "/review")
    assert user.url == admin_url + "/review" and user.locator("h1").inner_text() == "审核"
    assert errors == [] and user_errors == []
