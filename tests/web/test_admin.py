"""用户管理 and the own password change over HTTP: administrators only, CSRF on every form, a confirmation step,
the forced change after a reset, and what a disable or a token revocation does to access."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from tests.builders import platform
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.store.models import UserRow
from yangfan.web.app import create_app

PASSWORD = "a long enough password"
NEW_PASSWORD = "my own new passphrase"
USERS = {"root": (Role.administrator, None), "gd": (Role.provincial_reporter, "440000"),
         "an": (Role.ministry_analyst, None)}
#: Every action of the page, with the form fields it needs.
ACTIONS = [("disable", {}), ("enable", {}), ("unlock", {}), ("reset-password", {}), ("revoke-tokens", {}),
           ("grant", {"role": "provincial_reviewer", "org_unit": "440000"}),
           ("revoke", {"role": "provincial_reporter", "org_unit": "440000"})]


@pytest.fixture
def y(tmp_path: Path) -> Yangfan:
    p = platform(tmp_path)
    with session_scope(p.engine) as s:
        for name, (role, unit) in USERS.items():
            accounts.create_user(s, "test", name, PASSWORD, display_name=f"{name} 用户")
            accounts.grant(s, "test", name, role, unit, p.tree)
    return p


def client_for(y: Yangfan, username: str | None = None, password: str = PASSWORD) -> tuple[TestClient, str]:
    c = TestClient(create_app(y))
    if username is None:
        return c, ""
    r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf_token"]


def act(c: TestClient, csrf: str | None, action: str, username: str, lang: str = "zh", **fields: str) -> Response:
    data = {"username": username, **fields} | ({"csrf_token": csrf} if csrf is not None else {})
    return c.post(f"/admin/users/{action}?lang={lang}", data=data)


def shown(r: Response) -> str:
    """The page's text as read (the quotes of English messages are escaped in the HTML)."""
    return html.unescape(r.text)


def user_row(y: Yangfan, username: str) -> UserRow:
    with session_scope(y.engine) as s:
        return s.scalars(select(UserRow).where(UserRow.username == username)).one()


def test_the_page_lists_every_account_with_roles_and_state(y: Yangfan) -> None:
    c, _ = client_for(y, "root")
    c.post("/api/v1/auth/login", json={"username": "an", "password": "wrong password!"})
    r = c.get("/admin/users")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    html = r.text
    for text in ("用户管理", "gd 用户", "省级填报人员", "广东省", "部级分析人员", "在用", "从未登录",
                 'id="users-link"', 'id="grant-form"'):
        assert text in html, text
    row = re.search(r'<tr data-user="gd">.*?</tr>', html, re.S)
    assert row and "action=disable" in row[0] and "action=reset-password" in row[0] and "action=revoke&amp;" in row[0]
    english = c.get("/admin/users?lang=en").text
    assert "User accounts" in english and "provincial reporter" in english and "Guangdong" in english


def test_everyone_but_administrators_is_refused_the_page_and_every_action(y: Yangfan) -> None:
    public, _ = client_for(y)
    assert public.get("/admin/users").status_code == 401
    c, csrf = client_for(y, "gd")
    page = c.get("/admin/users")
    assert page.status_code == 403 and "仅管理员可访问" in page.text and "<html" in page.text
    assert c.get("/admin/users/confirm?action=disable&username=an").status_code == 403
    for action, fields in ACTIONS:
        r = act(c, csrf, action, "an", **fields)
        assert r.status_code == 403 and "仅管理员可访问" in r.text, action
        assert act(public, None, action, "an", **fields).status_code == 401
    with session_scope(y.engine) as s:
        an = next(a for a in accounts.list_users(s) if a.username == "an")
    assert an.active and not an.must_change_password and len(an.grants) == 1


def test_every_action_needs_the_csrf_token(y: Yangfan) -> None:
    c, csrf = client_for(y, "root")
    for action, fields in ACTIONS:
        for token in (None, "not the token"):
            r = act(c, token, action, "gd", **fields)
            assert r.status_code == 403 and "CSRF" in r.text, (action, token)
    assert user_row(y, "gd").is_active and not user_row(y, "gd").must_change_password
    assert act(c, csrf, "disable", "gd").status_code == 200


def test_the_confirmation_changes_nothing_and_the_confirmed_action_disables(y: Yangfan) -> None:
    gd, _ = client_for(y, "gd")
    c, csrf = client_for(y, "root")
    confirm = c.get("/admin/users/confirm", params={"action": "disable", "username": "gd"})
    assert confirm.status_code == 200 and "请确认" in confirm.text and "停用用户“gd”？" in confirm.text
    assert f'name="csrf_token" value="{csrf}"' in confirm.text
    assert 'action="/admin/users/disable?lang=zh"' in confirm.text and 'id="confirm-cancel"' in confirm.text
    assert user_row(y, "gd").is_active
    done = act(c, csrf, "disable", "gd")
    assert done.status_code == 200 and "已停用用户“gd”，结束了 1 个登录会话" in done.text
    assert "已停用" in re.search(r'<tr data-user="gd">.*?</tr>', done.text, re.S)[0]  # type: ignore[index]
    assert gd.get("/api/v1/auth/me").json()["username"] is None  # its session ended
    refused = TestClient(create_app(y)).post("/api/v1/auth/login", json={"username": "gd", "password": PASSWORD})
    assert refused.status_code == 401  # a disabled user cannot log in
    again = act(c, csrf, "disable", "gd", lang="en")
    assert "User 'gd' was already disabled: nothing changed." in shown(again)
    assert "已启用用户“gd”" in act(c, csrf, "enable", "gd").text
    client_for(y, "gd")


def test_refusals_say_why_on_the_page(y: Yangfan) -> None:
    c, csrf = client_for(y, "root")
    self_ = act(c, csrf, "disable", "root")
    assert self_.status_code == 400 and "未执行：不能停用自己的账户" in self_.text
    last = act(c, csrf, "revoke", "root", role="administrator", lang="en")
    assert last.status_code == 400 and "the only active administrator" in shown(last)
    unknown = c.get("/admin/users/confirm", params={"action": "disable", "username": "nobody"})
    assert unknown.status_code == 404 and "未知用户“nobody”" in unknown.text
    scope = c.get("/admin/users/confirm", params={"action": "grant", "username": "an", "role": "provincial_reviewer"})
    assert scope.status_code == 400 and "需要指定组织单元" in scope.text and 'id="confirm-form"' not in scope.text
    assert c.get("/admin/users/confirm", params={"action": "explode", "username": "an"}).status_code == 422
    assert user_row(y, "root").is_active


def test_grant_and_revoke_after_confirmation(y: Yangfan) -> None:
    c, csrf = client_for(y, "root")
    confirm = c.get("/admin/users/confirm", params={"action": "grant", "username": "an",
                                                    "role": "provincial_reviewer", "org_unit": "440000"})
    assert "授予用户“an”角色“省级审核人员”（范围：广东省）？" in confirm.text
    assert 'name="role" value="provincial_reviewer"' in confirm.text
    done = act(c, csrf, "grant", "an", role="provincial_reviewer", org_unit="440000")
    assert "已授予用户“an”角色“省级审核人员”（范围：广东省）" in done.text
    with session_scope(y.engine) as s:
        assert accounts.Grant(Role.provincial_reviewer, "440000") in accounts.grants_of(s, "an")
    assert "未作更改" in act(c, csrf, "grant", "an", role="provincial_reviewer", org_unit="440000").text
    gone = act(c, csrf, "revoke", "an", role="provincial_reviewer", org_unit="440000", lang="en")
    assert "The role 'provincial reviewer' (scope: Guangdong) of user 'an' is revoked" in shown(gone)
    with session_scope(y.engine) as s:
        assert accounts.grants_of(s, "an") == [accounts.Grant(Role.ministry_analyst, None)]


def test_unlock_after_a_lockout(y: Yangfan) -> None:
    public, _ = client_for(y)
    for _ in range(5):
        public.post("/api/v1/auth/login", json={"username": "gd", "password": "wrong password!"})
    c, csrf = client_for(y, "root")
    assert "已锁定" in c.get("/admin/users").text
    assert "已解除用户“gd”的锁定" in act(c, csrf, "unlock", "gd").text
    client_for(y, "gd")


def test_reset_then_login_leads_to_the_forced_change(y: Yangfan) -> None:
    old, _ = client_for(y, "gd")
    c, csrf = client_for(y, "root")
    r = act(c, csrf, "reset-password", "gd")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "已重置用户“gd”的密码" in r.text and "须修改密码" in r.text
    found = re.search(r'<code id="temporary-password">([^<]+)</code>', r.text)
    assert found
    temporary = found[1]
    assert temporary not in c.get("/admin/users").text  # shown once
    assert old.get("/api/v1/auth/me").json()["username"] is None  # its sessions ended
    gd, gd_csrf = client_for(y, "gd", temporary)
    # Pages lead to the password page; the API refuses with a clear 403; who am I and the page itself answer.
    for path, location in (("/", "/account/password"), ("/review?lang=en", "/account/password?lang=en")):
        redirect = gd.get(path, follow_redirects=False)
        assert redirect.status_code == 303 and redirect.headers["location"] == location
    api = gd.get("/api/v1/submissions")
    assert api.status_code == 403 and api.json()["error"]["code"] == "permission.password_change"
    assert "/account/password" in api.json()["error"]["message_zh"]
    write = gd.post("/api/v1/imports", params={"file_name": "a.csv"}, content=b"x", headers={"X-CSRF-Token": gd_csrf})
    assert write.status_code == 403 and write.json()["error"]["code"] == "permission.password_change"
    assert gd.get("/api/v1/auth/me").json()["username"] == "gd"
    page = gd.get("/review")  # followed
    assert page.url.path == "/account/password" and "管理员已重置你的密码" in page.text
    mismatch = gd.post("/account/password", data={"csrf_token": gd_csrf, "current": temporary,
                                                  "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.text
    same = gd.post("/account/password?lang=en", data={"csrf_token": gd_csrf, "current": temporary,
                                                      "new": temporary, "repeat": temporary})
    assert same.status_code == 400 and "the new password must differ from the current one" in shown(same)
    done = gd.post("/account/password", data={"csrf_token": gd_csrf, "current": temporary,
                                              "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 200 and "密码已修改" in done.text and 'id="forced"' not in done.text
    assert gd.get("/review").status_code == 200 and gd.get("/api/v1/submissions").status_code == 200
    assert not user_row(y, "gd").must_change_password
    client_for(y, "gd", NEW_PASSWORD)


def test_any_user_changes_its_own_password(y: Yangfan) -> None:
    c, csrf = client_for(y, "an")
    page = c.get("/account/password?lang=en")
    assert page.status_code == 200 and "Change password" in page.text and 'id="forced"' not in page.text
    no_csrf = c.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert no_csrf.status_code == 403
    wrong = c.post("/account/password", data={"csrf_token": csrf, "current": "not my password",
                                              "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    short = c.post("/account/password", data={"csrf_token": csrf, "current": PASSWORD, "new": "short",
                                              "repeat": "short"})
    assert short.status_code == 400 and "密码至少需要 12 个字符" in short.text
    assert c.post("/account/password", data={"csrf_token": csrf, "current": PASSWORD, "new": NEW_PASSWORD,
                                             "repeat": NEW_PASSWORD}).status_code == 200
    assert c.get("/api/v1/auth/me").json()["username"] == "an"  # this session stays
    assert TestClient(create_app(y)).get("/account/password").status_code == 401
    client_for(y, "an", NEW_PASSWORD)


def test_revoked_tokens_stop_api_access(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        token = accounts.create_token(s, "test", "gd", "nightly upload")
    machine = TestClient(create_app(y))
    bearer = {"Authorization": f"Bearer {token}"}
    assert machine.get("/api/v1/auth/me", headers=bearer).json()["username"] == "gd"
    c, csrf = client_for(y, "root")
    assert "1 个 API 令牌" in act(c, csrf, "revoke-tokens", "gd").text
    r = machine.get("/api/v1/auth/me", headers=bearer)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.token"
    assert "没有有效的 API 令牌" in act(c, csrf, "revoke-tokens", "gd").text


def test_a_reset_revokes_the_tokens_too(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        token = accounts.create_token(s, "test", "gd", "nightly upload")
    c, csrf = client_for(y, "root")
    assert "撤销了 1 个 API 令牌" in act(c, csrf, "reset-password", "gd").text
    r = TestClient(create_app(y)).get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
