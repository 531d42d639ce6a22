"""Logins and server-side sessions: lockout after repeated failures, CSRF token per session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yangfan.access.passwords import check_password
from yangfan.errors import YangfanError
from yangfan.store import audit
from yangfan.store.models import SessionRow, UserRow

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class NewSession:
    """What the client gets once: the cookie value and the CSRF token."""

    cookie: str
    csrf_token: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8")).hexdigest()


_REFUSED = ("auth.failed", "用户名或密码错误", "wrong username or password")


def login(session: Session, username: str, password: str) -> NewSession | YangfanError:
    """Check the password and open a session; five failures lock the account for 15 minutes.

    A refusal is returned, not raised, so that the caller commits the failure count and its audit
    entry before answering. The same message answers an unknown user and a wrong password.
    """
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    now = _now()
    if user is None or not user.is_active:
        audit.append(session, username, "auth.login_failed", "user", username, after={"reason": "unknown"})
        return YangfanError.single(*_REFUSED)
    if user.locked_until is not None and user.locked_until > now:
        audit.append(session, username, "auth.login_refused", "user", username, after={"reason": "locked"})
        return YangfanError.single("auth.locked", "登录失败次数过多，账户已暂时锁定，请15分钟后再试",
                                  "too many failed logins: the account is locked for 15 minutes")
    if not check_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        audit.append(session, username, "auth.login_failed", "user", username, after={"reason": "password"})
        return YangfanError.single(*_REFUSED)
    user.failed_logins, user.locked_until = 0, None
    new = NewSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    session.add(SessionRow(id=_digest(new.cookie), user_id=user.id, csrf_token=new.csrf_token, created_at=now,
                           expires_at=now + SESSION_LIFETIME))
    audit.append(session, username, "auth.login", "user", username)
    return new


def resolve(session: Session, cookie: str) -> tuple[UserRow, str] | None:
    """The user and CSRF token of a live session, or None."""
    row = session.get(SessionRow, _digest(cookie))
    if row is None or row.expires_at <= _now():
        return None
    user = session.get(UserRow, row.user_id)
    return (user, row.csrf_token) if user is not None and user.is_active else None


def logout(session: Session, cookie: str, username: str) -> None:
    """End a session."""
    session.execute(delete(SessionRow).where(SessionRow.id == _digest(cookie)))
    audit.append(session, username, "auth.logout", "user", username)
