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


#: The one answer to every refused login: an unknown user, a wrong password and a locked account look alike.
_REFUSED = ("auth.failed", "用户名或密码错误，或账户因多次失败已暂时锁定（15 分钟）",
            "wrong username or password, or the account is locked for 15 minutes after repeated failures")


def login(session: Session, username: str, password: str) -> NewSession | YangfanError:
    """Check the password and open a session; five failures lock the account for 15 minutes.

    Every refusal gets the same code and message, whoever asks and whatever the reason: an unknown or
    inactive user, a wrong password, or a locked account (even with the right password — saying "locked"
    only after a correct password would tell a guesser that the guess was right while the lock holds).
    Every refusal also costs the same argon2 check: unknown and inactive users are checked against a
    dummy hash, a locked account against its own. The audit log keeps the real reason.

    A refusal is returned, not raised, so that the caller commits the failure count and its audit
    entry before answering.
    """
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    now = _now()
    if user is None or not user.is_active:
        check_password(None, password)  # the same work as for a real account
        audit.append(session, username, "auth.login_failed", "user", username, after={"reason": "unknown"})
        return YangfanError.single(*_REFUSED)
    matched = check_password(user.password_hash, password)
    if user.locked_until is not None and user.locked_until > now:
        # Failures while locked are not counted: the lock ends 15 minutes after it began, not after the last try.
        audit.append(session, username, "auth.login_refused", "user", username, after={"reason": "locked"})
        return YangfanError.single(*_REFUSED)
    if not matched:
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


def end_sessions(session: Session, user_id: int, keep_cookie: str | None = None) -> int:
    """End every session of a user but the one whose cookie is kept (after a disable, a password reset or a
    password change); how many ended."""
    query = select(SessionRow.id).where(SessionRow.user_id == user_id)
    if keep_cookie:
        query = query.where(SessionRow.id != _digest(keep_cookie))
    ids = list(session.scalars(query))
    if ids:
        session.execute(delete(SessionRow).where(SessionRow.id.in_(ids)))
    return len(ids)
