"""Accounts, grants and tokens, on SQLite and PostgreSQL: hashed secrets, checked scopes, audited changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.builders import platform
from yangfan.access import accounts, sessions
from yangfan.access.passwords import check_password
from yangfan.access.roles import Role, parse_role
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store import audit
from yangfan.store.db import session_scope
from yangfan.store.models import ApiTokenRow, AuditRow, UserRow

PASSWORD = "correct horse battery"


@pytest.fixture
def y(tmp_path: Path, store_url: str) -> Yangfan:
    return platform(tmp_path, store_url)


def test_password_is_stored_as_argon2id(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "gd", PASSWORD)
    with session_scope(y.engine) as s:
        user = s.scalars(select(UserRow)).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert check_password(user.password_hash, PASSWORD) and not check_password(user.password_hash, "wrong")


def test_short_password_and_duplicate_user_are_refused(y: Yangfan) -> None:
    with pytest.raises(YangfanError, match="12"), session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "gd", "short")
    with session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "gd", PASSWORD)
    with pytest.raises(YangfanError) as exc, session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "gd", PASSWORD)
    assert exc.value.issues[0].code == "user.exists"


@pytest.mark.parametrize("role,unit,code", [
    ("provincial_reporter", None, "grant.scope_missing"),
    ("provincial_reporter", "cmcc", "grant.scope_kind"),
    ("operator_reporter", "440000", "grant.scope_kind"),
    ("ministry_analyst", "440000", "grant.scope_extra"),
    ("provincial_reviewer", "999999", "org_unit.unknown"),
])
def test_scopes_are_checked(y: Yangfan, role: str, unit: str | None, code: str) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "u", PASSWORD)
    with pytest.raises(YangfanError) as exc, session_scope(y.engine) as s:
        accounts.grant(s, "admin", "u", parse_role(role), unit, y.tree)
    assert exc.value.issues[0].code == code


def test_grant_revoke_and_token(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "gd", PASSWORD)
        accounts.grant(s, "admin", "gd", Role.provincial_reporter, "440000", y.tree)
        accounts.grant(s, "admin", "gd", Role.provincial_reporter, "440000", y.tree)  # twice: no change
        token = accounts.create_token(s, "admin", "gd", "nightly upload")
    with session_scope(y.engine) as s:
        assert accounts.grants_of(s, "gd") == [accounts.Grant(Role.provincial_reporter, "440000")]
        stored = s.scalars(select(ApiTokenRow)).one()
        assert token.startswith("yf_") and token not in stored.token_hash and len(stored.token_hash) == 64
        user = accounts.user_for_token(s, token)
        assert user is not None and user.username == "gd"
        assert accounts.user_for_token(s, token + "x") is None
        accounts.revoke(s, "admin", "gd", Role.provincial_reporter, "440000")
    with session_scope(y.engine) as s:
        assert accounts.grants_of(s, "gd") == []
        actions = [r.action for r in s.scalars(select(AuditRow).order_by(AuditRow.id))]
        assert actions == ["user.create", "user.grant", "token.create", "user.revoke"]
        assert audit.verify(s).intact


def test_a_failed_change_leaves_no_audit_entry(y: Yangfan) -> None:
    with pytest.raises(YangfanError), session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "gd", PASSWORD)
        accounts.grant(s, "admin", "gd", Role.provincial_reporter, None, y.tree)  # fails: the whole change rolls back
    with session_scope(y.engine) as s:
        assert s.scalars(select(AuditRow)).all() == [] and s.scalars(select(UserRow)).all() == []


def test_without_an_account_no_password_matches() -> None:
    assert not check_password(None, "") and not check_password(None, PASSWORD)


def test_every_refused_login_is_the_same_error(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "admin", "gd", PASSWORD)
        accounts.create_user(s, "admin", "gone", PASSWORD).is_active = False
    attempts = [("nobody", PASSWORD), ("gone", PASSWORD), *[("gd", "wrong")] * 5, ("gd", PASSWORD)]  # the last: locked
    refusals = []
    with session_scope(y.engine) as s:
        for username, password in attempts:
            result = sessions.login(s, username, password)
            assert isinstance(result, YangfanError)
            refusals.append(result.issues)
    assert len(set(refusals)) == 1 and refusals[0][0].code == "auth.failed"
    with session_scope(y.engine) as s:  # the lock holds for the right password too, until it ends
        user = s.scalars(select(UserRow).where(UserRow.username == "gd")).one()
        assert user.locked_until is not None
        user.locked_until = None
    with session_scope(y.engine) as s:
        assert isinstance(sessions.login(s, "gd", PASSWORD), sessions.NewSession)
