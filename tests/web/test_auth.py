"""Login, sessions, CSRF, tokens and scoped writes, checked on the server."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.builders import platform
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow, DataValueRow, UserRow
from yangfan.web.app import create_app

PASSWORD = "a long enough password"
USERS = {"admin": (Role.administrator, None), "gd": (Role.provincial_reporter, "440000"),
         "cm": (Role.operator_reporter, "cmcc")}


@pytest.fixture
def y(tmp_path: Path) -> Yangfan:
    p = platform(tmp_path)
    with session_scope(p.engine) as s:
        for name, (role, unit) in USERS.items():
            accounts.create_user(s, "test", name, PASSWORD)
            accounts.grant(s, "test", name, role, unit, p.tree)
    p.rebuild()
    return p


def client_for(y: Yangfan, username: str | None = None) -> tuple[TestClient, str]:
    c = TestClient(create_app(y))
    if username is None:
        return c, ""
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf_token"]


def csv(*rows: str) -> bytes:
    return ("indicator,org_unit,period,value,unit,disaggregation\n" + "\n".join(rows) + "\n").encode()


def values_in_store(y: Yangfan) -> int:
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).select_from(DataValueRow)) or 0)


def test_login_me_logout(y: Yangfan) -> None:
    c, csrf = client_for(y, "gd")
    me = c.get("/api/v1/auth/me").json()
    assert me["username"] == "gd" and me["grants"] == [{"role": "provincial_reporter", "org_unit": "440000"}]
    assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert c.get("/api/v1/auth/me").json()["username"] is None


def test_wrong_password_then_lockout(y: Yangfan) -> None:
    c = TestClient(create_app(y))
    wrong = [c.post("/api/v1/auth/login", json={"username": "gd", "password": "wrong password!"}) for _ in range(5)]
    locked = c.post("/api/v1/auth/login", json={"username": "gd", "password": PASSWORD})
    unknown = c.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})
    # Locked even with the right password, and told exactly what an unknown user or a wrong password is told
    answers = {(r.status_code, r.text) for r in [*wrong, locked, unknown]}
    assert len(answers) == 1 and locked.status_code == 401 and locked.json()["error"]["code"] == "auth.failed"
    assert "锁定" in locked.json()["error"]["message_zh"] and "locked" in locked.json()["error"]["message_en"]
    with session_scope(y.engine) as s:  # the audit log keeps the real reasons
        refusals = select(AuditRow).where(AuditRow.action.in_(["auth.login_failed", "auth.login_refused"]))
        reasons = [json.loads(r.after or "{}").get("reason") for r in s.scalars(refusals.order_by(AuditRow.id))]
        assert reasons == ["password"] * 5 + ["locked", "unknown"]


def test_an_inactive_account_is_refused_like_an_unknown_one(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        s.scalars(select(UserRow).where(UserRow.username == "cm")).one().is_active = False
    c = TestClient(create_app(y))
    inactive = c.post("/api/v1/auth/login", json={"username": "cm", "password": PASSWORD})
    unknown = c.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert inactive.status_code == 401 and inactive.text == unknown.text


def test_unknown_and_real_users_take_as_long_to_be_refused(y: Yangfan) -> None:
    c = TestClient(create_app(y))

    def seconds(username: str) -> float:
        start = time.perf_counter()
        r = c.post("/api/v1/auth/login", json={"username": username, "password": "not the password"})
        assert r.status_code == 401
        return time.perf_counter() - start

    seconds("nobody"), seconds("admin")  # warm up: the dummy hash is made on first use
    unknown, real = [], []
    for i in range(6):  # interleaved, so that a busy moment of the machine falls on both; 3 failures per user
        unknown.append(seconds(f"nobody-{i}"))
        real.append(seconds(["admin", "gd", "cm"][i % 3]))
    ratio = statistics.median(unknown) / statistics.median(real)
    assert 0.5 < ratio < 2, (unknown, real)  # before: ~5 ms against ~180 ms (argon2 ran for real users only)


def test_state_changes_need_the_csrf_token(y: Yangfan) -> None:
    c, csrf = client_for(y, "gd")
    body = csv("bs_5g,440300,2025-06,8.1,万个,")
    r = c.post("/api/v1/imports", params={"file_name": "a.csv"}, content=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.csrf"
    r = c.post("/api/v1/imports", params={"file_name": "a.csv"}, content=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["inserted"] == 1


def test_the_public_cannot_write(y: Yangfan) -> None:
    c, _ = client_for(y)
    r = c.post("/api/v1/imports", params={"file_name": "a.csv"}, content=csv("bs_5g,440300,2025-06,8.1,万个,"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.required"
    assert values_in_store(y) == 0


def test_a_provincial_reporter_writes_only_inside_its_province(y: Yangfan) -> None:
    c, csrf = client_for(y, "gd")
    body = csv("bs_5g,440300,2025-06,8.1,万个,", "bs_5g,110000,2025-06,9.0,万个,")
    r = c.post("/api/v1/imports", params={"file_name": "b.csv"}, content=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    issue = r.json()["error"]["issues"][0]
    assert (issue["code"], issue["row"], issue["field"]) == ("permission.denied", 3, "org_unit")
    assert values_in_store(y) == 0  # all or nothing


def test_an_operator_reporter_writes_only_its_operator(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        token = accounts.create_token(s, "test", "cm", "upload")
    c = TestClient(create_app(y))
    auth = {"Authorization": f"Bearer {token}"}
    ok = c.post("/api/v1/imports", params={"file_name": "c.csv"}, headers=auth,
                content=csv("bs_5g,440000,2025-06,3.1,万个,operator=cmcc"))
    assert ok.status_code == 200, ok.text  # a token client needs no CSRF token
    denied = c.post("/api/v1/imports", params={"file_name": "d.csv"}, headers=auth,
                    content=csv("bs_5g,440000,2025-06,2.2,万个,operator=ctcc"))
    assert denied.status_code == 403
    bad = c.post("/api/v1/imports", params={"file_name": "d.csv"}, headers={"Authorization": "Bearer yf_nope"},
                 content=csv("bs_5g,440000,2025-06,2.2,万个,operator=cmcc"))
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "auth.token"


def test_an_administrators_import_is_approved_and_counted(y: Yangfan) -> None:
    c, csrf = client_for(y, "admin")
    r = c.post("/api/v1/imports", params={"file_name": "e.csv"}, content=csv("bs_5g,100000,2025-06,450,万个,"),
               headers={"X-CSRF-Token": csrf})
    assert r.json()["status"] == "approved"
    y.follow()  # the server's builder does this in the background (a bare TestClient runs no lifespan)
    figure = c.get("/api/v1/data-values", params={"indicator": "bs_5g", "org_unit": "100000",
                                                  "period": "2025-06"}).json()[0]
    assert figure["value"] == 4_500_000  # the rebuild after an approved import makes it visible


def test_approved_but_unpublished_figures_are_hidden_from_the_public(y: Yangfan) -> None:
    admin, csrf = client_for(y, "admin")
    admin.post("/api/v1/imports", params={"file_name": "f.csv"}, content=csv("bs_5g,100000,2025-07,460,万个,"),
               headers={"X-CSRF-Token": csrf})
    y.follow()  # the server's builder does this in the background
    params = {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-07"}
    assert admin.get("/api/v1/data-values", params=params).json()[0]["value"] == 4_600_000
    public, _ = client_for(y)
    assert public.get("/api/v1/data-values", params=params).json()[0]["value"] is None
    reporter, _ = client_for(y, "gd")
    assert reporter.get("/api/v1/data-values", params=params).json()[0]["value"] is None


def test_the_sliding_window_forgets_old_attempts() -> None:
    from yangfan.web.ratelimit import SlidingWindow

    w = SlidingWindow(3, seconds=60)
    assert [w.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert w.allow("b", now=3)  # another address has its own count
    assert not w.allow("a", now=59.9) and w.allow("a", now=60.5)  # the first attempt has left the window


def test_logins_from_one_address_are_rate_limited(tmp_path: Path) -> None:
    from yangfan.settings import Settings

    p = Yangfan(Settings(data_dir=tmp_path, login_attempts_per_minute=3))
    p.init()
    c = TestClient(create_app(p))
    codes = [c.post("/api/v1/auth/login", json={"username": f"u{i}", "password": "x"}).status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    assert c.post("/api/v1/auth/login", json={"username": "u", "password": "x"}).json()["error"]["code"] == \
        "auth.rate_limited"


def test_the_login_limit_believes_x_forwarded_for_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    from yangfan.settings import Settings

    p = Yangfan(Settings(data_dir=tmp_path, login_attempts_per_minute=3, trusted_proxies=["10.0.0.0/8"]))
    p.init()
    app = create_app(p)

    def attempt(c: TestClient, forwarded: str) -> int:
        return c.post("/api/v1/auth/login", json={"username": "u", "password": "x"},
                      headers={"X-Forwarded-For": forwarded}).status_code

    proxy = TestClient(app, client=("10.0.0.1", 50000))
    assert [attempt(proxy, "198.51.100.1") for _ in range(4)] == [401, 401, 401, 429]
    assert attempt(proxy, "198.51.100.2") == 401  # another client behind the proxy has its own count
    assert attempt(proxy, "198.51.100.2, 198.51.100.1") == 429  # the client wrote the left part: ignored
    direct = TestClient(app, client=("192.0.2.7", 50000))  # not a proxy: a new header each time changes nothing
    assert [attempt(direct, f"203.0.113.{i}") for i in range(4)] == [401, 401, 401, 429]


def test_each_reporter_sees_only_its_own_unpublished_values_and_a_reviewer_approves_them(y: Yangfan) -> None:
    gd, gd_csrf = client_for(y, "gd")
    r = gd.post("/api/v1/imports", params={"file_name": "sz.csv"}, content=csv("bs_5g,440300,2025-06,8.1,万个,"),
                headers={"X-CSRF-Token": gd_csrf})
    assert r.json()["status"] == "submitted"
    mine = gd.get("/api/v1/submissions")
    assert mine.headers["cache-control"].startswith("private")
    ids = [row["id"] for row in mine.json()]
    assert len(ids) == 1 and mine.json()[0]["org_unit"] == "440300"
    cm, _ = client_for(y, "cm")
    assert cm.get("/api/v1/submissions").json() == []  # another scope's pending values stay hidden
    assert TestClient(create_app(y)).get("/api/v1/submissions").status_code == 401
    # a reporter cannot approve its own submission; the ministry can, and the figure then counts
    denied = gd.post("/api/v1/reviews", json={"ids": ids, "action": "approve"}, headers={"X-CSRF-Token": gd_csrf})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission.denied"
    admin, admin_csrf = client_for(y, "admin")
    ok = admin.post("/api/v1/reviews", json={"ids": ids, "action": "approve"}, headers={"X-CSRF-Token": admin_csrf})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    y.follow()  # the server's builder does this in the background
    figure = admin.get("/api/v1/data-values", params={"indicator": "bs_5g", "org_unit": "440300",
                                                      "period": "2025-06"}).json()[0]
    assert figure["value"] == 81_000
    again = admin.post("/api/v1/reviews", json={"ids": ids, "action": "approve"}, headers={"X-CSRF-Token": admin_csrf})
    assert again.status_code == 409 and again.json()["error"]["code"] == "review.conflict"
