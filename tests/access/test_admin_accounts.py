"""Account administration in the core: list, disable, enable, unlock, reset, revoke tokens, own password change,
each audited, each refusal clear (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.builders import platform
from yangfan.access import accounts, sessions
from yangfan.access.passwords import check_password
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store import audit
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow, SessionRow, UserRow

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def y(tmp_path: Path, store_url: str) -> Yangfan:
    """An administrator ``root``, a Guangdong reporter ``gd`` with one API token, an analyst ``an``."""
    p = platform(tmp_path, store_url)
    with session_scope(p.engine) as s:
        for name, role, unit in (("root", Role.administrator, None), ("gd", Role.provincial_reporter, "440000"),
                                 ("an", Role.ministry_analyst, None)):
            accounts.create_user(s, "test", name, PASSWORD, display_name=name.upper())
            accounts.grant(s, "test", name, role, unit, p.tree)
        accounts.create_token(s, "test", "gd", "uploads")
    return p


def _login(y: Yangfan, username: str, password: str = PASSWORD) -> sessions.NewSession:
    with session_scope(y.engine) as s:
        result = sessions.login(s, username, password)
    assert isinstance(result, sessions.NewSession), result
    return result


def _live_sessions(y: Yangfan, username: str) -> int:
    with session_scope(y.engine) as s:
        user = s.scalars(select(UserRow).where(UserRow.username == username)).one()
        return int(s.scalar(select(func.count()).select_from(SessionRow).where(SessionRow.user_id == user.id)) or 0)


def _last_audit(y: Yangfan) -> AuditRow:
    with session_scope(y.engine) as s:
        return s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(1)).one()


def _refusal(y: Yangfan, call: object, *args: object) -> str:
    with pytest.raises(YangfanError) as exc, session_scope(y.engine) as s:
        call(s, *args)  # type: ignore[operator]
    issue = exc.value.issues[0]
    assert issue.message_zh and issue.message_en
    return issue.code


def test_list_users_shows_state_roles_tokens_and_last_login(y: Yangfan) -> None:
    _login(y, "gd")
    with session_scope(y.engine) as s:
        s.scalars(select(UserRow).where(UserRow.username == "an")).one().locked_until = (
            datetime.now() + timedelta(hours=1))
        users = {a.username: a for a in accounts.list_users(s)}
    assert list(users) == ["an", "gd", "root"]
    gd = users["gd"]
    assert (gd.display_name, gd.active, gd.locked, gd.must_change_password, gd.tokens) == ("GD", True, False,
                                                                                        False, 1)
    assert gd.grants == (accounts.Grant(Role.provincial_reporter, "440000"),)
    assert gd.last_login is not None and users["root"].last_login is None
    assert users["an"].locked and users["root"].tokens == 0
    assert json.loads(json.dumps(gd.as_dict()))["grants"] == [{"role": "provincial_reporter", "org_unit": "440000"}]


def test_disable_ends_sessions_and_stops_login_and_tokens_until_enabled(y: Yangfan) -> None:
    _login(y, "gd")
    with session_scope(y.engine) as s:
        token = accounts.create_token(s, "root", "gd", "more")
        change = accounts.disable_user(s, "root", "gd")
    assert change.changed and change.sessions_ended == 1 and _live_sessions(y, "gd") == 0
    entry = _last_audit(y)
    assert (entry.actor, entry.action, entry.entity_id) == ("root", "user.disable", "gd")
    with session_scope(y.engine) as s:
        assert isinstance(sessions.login(s, "gd", PASSWORD), YangfanError)
        assert accounts.user_for_token(s, token) is None
        assert not accounts.disable_user(s, "root", "gd").changed  # twice: nothing changes, nothing logged
    assert _last_audit(y).action == "auth.login_failed"
    with session_scope(y.engine) as s:
        assert accounts.enable_user(s, "root", "gd").changed
        assert not accounts.enable_user(s, "root", "gd").changed
        assert accounts.user_for_token(s, token) is not None  # not revoked: enabled again, it works again
    assert _last_audit(y).action == "user.enable"
    _login(y, "gd")


def test_refusals_of_disable(y: Yangfan) -> None:
    assert _refusal(y, accounts.disable_user, "root", "root") == "user.self"
    assert _refusal(y, accounts.disable_user, "an", "root") == "user.last_administrator"
    assert _refusal(y, accounts.disable_user, "root", "nobody") == "user.unknown"
    with session_scope(y.engine) as s:  # with a second active administrator, the first may go
        accounts.grant(s, "root", "an", Role.administrator, None, y.tree)
        assert accounts.disable_user(s, "an", "root").changed
    with pytest.raises(YangfanError) as exc, session_scope(y.engine) as s:
        accounts.disable_user(s, "gd", "an")
    assert "唯一" in exc.value.issues[0].message_zh and "only active administrator" in exc.value.issues[0].message_en


def test_the_last_active_administrator_keeps_its_role(y: Yangfan) -> None:
    assert _refusal(y, accounts.revoke, "root", "root", Role.administrator, None) == "user.last_administrator"
    with session_scope(y.engine) as s:
        accounts.grant(s, "root", "an", Role.administrator, None, y.tree)
        accounts.revoke(s, "an", "root", Role.administrator, None)
        assert accounts.grants_of(s, "root") == []
    assert _refusal(y, accounts.revoke, "an", "an", Role.administrator, None) == "user.last_administrator"
    assert _refusal(y, accounts.revoke, "an", "gd", Role.administrator, None) == "grant.unknown"


def test_unlock_clears_the_lockout(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        for _ in range(5):
            assert isinstance(sessions.login(s, "gd", "wrong password"), YangfanError)
    with session_scope(y.engine) as s:
        assert isinstance(sessions.login(s, "gd", PASSWORD), YangfanError)  # locked
        assert [a.locked for a in accounts.list_users(s) if a.username == "gd"] == [True]
        assert accounts.unlock(s, "root", "gd").changed
        assert not accounts.unlock(s, "root", "gd").changed
    entry = _last_audit(y)
    assert entry.action == "user.unlock" and json.loads(entry.before)["locked_until"] is not None
    _login(y, "gd")


def test_reset_password_forces_a_change_revokes_tokens_and_ends_sessions(y: Yangfan) -> None:
    _login(y, "gd")
    with session_scope(y.engine) as s:
        token = accounts.create_token(s, "root", "gd", "second")
        change = accounts.reset_password(s, "root", "gd")
    temporary = change.password
    assert temporary and len(temporary) == 19 and (change.tokens_revoked, change.sessions_ended) == (2, 1)
    with session_scope(y.engine) as s:
        user = s.scalars(select(UserRow).where(UserRow.username == "gd")).one()
        assert user.must_change_password and check_password(user.password_hash, temporary)
        assert not check_password(user.password_hash, PASSWORD)
        assert accounts.user_for_token(s, token) is None
        assert [a.tokens for a in accounts.list_users(s) if a.username == "gd"] == [0]
    entry = _last_audit(y)
    assert entry.action == "user.reset_password" and temporary not in entry.after + entry.before
    assert json.loads(entry.after) == {"must_change_password": True, "tokens_revoked": 2, "sessions_ended": 1,
                                       "generated": True}
    _login(y, "gd", temporary)  # the login works; the web then allows nothing but the change


def test_reset_password_takes_a_given_password_and_lifts_a_lock(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        s.scalars(select(UserRow).where(UserRow.username == "gd")).one().locked_until = (
            datetime.now() + timedelta(hours=1))
    with session_scope(y.engine) as s:
        assert accounts.reset_password(s, "root", "gd", "handed over in person").password == "handed over in person"
    _login(y, "gd", "handed over in person")
    assert _refusal(y, accounts.reset_password, "root", "gd", "short") == "password.short"
    assert _refusal(y, accounts.reset_password, "root", "root") == "user.self"
    assert _refusal(y, accounts.reset_password, "root", "nobody") == "user.unknown"


def test_temporary_passwords_differ_and_avoid_lookalikes() -> None:
    passwords = {accounts.temporary_password() for _ in range(50)}
    assert len(passwords) == 50
    assert not any(c in p for p in passwords for c in "0O1lI")


def test_revoke_tokens(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        token = accounts.create_token(s, "root", "gd", "second")
        assert accounts.revoke_tokens(s, "root", "gd").tokens_revoked == 2
        assert accounts.user_for_token(s, token) is None
    assert _last_audit(y).action == "token.revoke"
    with session_scope(y.engine) as s:
        change = accounts.revoke_tokens(s, "root", "gd")
    assert not change.changed and change.tokens_revoked == 0 and _last_audit(y).action == "token.revoke"


def test_change_own_password_clears_the_forced_change_and_ends_other_sessions(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        temporary = accounts.reset_password(s, "root", "gd").password
    assert temporary
    here, elsewhere = _login(y, "gd", temporary), _login(y, "gd", temporary)
    with session_scope(y.engine) as s:
        change = accounts.change_own_password(s, "gd", temporary, NEW_PASSWORD, keep_cookie=here.cookie)
    assert change.sessions_ended == 1
    with session_scope(y.engine) as s:
        assert sessions.resolve(s, here.cookie) is not None and sessions.resolve(s, elsewhere.cookie) is None
        assert not s.scalars(select(UserRow).where(UserRow.username == "gd")).one().must_change_password
    entry = _last_audit(y)
    assert (entry.actor, entry.action) == ("gd", "user.password_change")
    assert json.loads(entry.after)["was_forced"] is True and NEW_PASSWORD not in entry.after
    _login(y, "gd", NEW_PASSWORD)


@pytest.mark.parametrize("current,new,code", [
    ("not my password", NEW_PASSWORD, "password.wrong"),
    (PASSWORD, "too short", "password.short"),
    (PASSWORD, PASSWORD, "password.unchanged"),
])
def test_refusals_of_a_password_change(y: Yangfan, current: str, new: str, code: str) -> None:
    assert _refusal(y, accounts.change_own_password, "gd", current, new) == code
    _login(y, "gd")  # nothing changed


def test_a_password_cannot_be_the_username(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "root", "provincial-gd", PASSWORD)
    assert _refusal(y, accounts.change_own_password, "provincial-gd", PASSWORD, "Provincial-GD") == \
        "password.username"
    assert _refusal(y, accounts.reset_password, "root", "provincial-gd", "PROVINCIAL-gd") == "password.username"


def test_every_change_is_on_the_chain(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.disable_user(s, "root", "gd")
        accounts.enable_user(s, "root", "gd")
        accounts.reset_password(s, "root", "an")
        accounts.revoke_tokens(s, "root", "gd")
    with session_scope(y.engine) as s:
        assert audit.verify(s).intact
        actions = list(s.scalars(select(AuditRow.action).where(AuditRow.actor == "root").order_by(AuditRow.id)))
    assert actions == ["user.disable", "user.enable", "user.reset_password", "token.revoke"]
