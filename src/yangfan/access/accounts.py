"""Accounts, grants and API tokens; every change is written to the audit log in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yangfan.access.passwords import MIN_LENGTH, check_password, hash_password
from yangfan.access.roles import Role, check_scope
from yangfan.access.sessions import end_sessions
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store import audit
from yangfan.store.models import ApiTokenRow, AuditRow, GrantRow, UserRow

TOKEN_PREFIX = "yf_"
#: Letters and digits of a temporary password: none that read alike (0/O, 1/l/I).
TEMPORARY_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True, slots=True)
class Grant:
    """A role and the org unit it is scoped to (None for unscoped roles)."""

    role: Role
    org_unit: str | None

    def as_dict(self) -> dict[str, str | None]:
        """For the audit log."""
        return {"role": self.role.value, "org_unit": self.org_unit}


def _user(session: Session, username: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise YangfanError.single("user.unknown", f"未知用户“{username}”", f"unknown user '{username}'")
    return user


def create_user(session: Session, actor: str, username: str, password: str, display_name: str = "") -> UserRow:
    """A new active account with an argon2id password hash."""
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise YangfanError.single("user.exists", f"用户“{username}”已存在", f"user '{username}' already exists")
    user = UserRow(username=username, display_name=display_name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", "user", username, after={"display_name": display_name})
    return user


def grants_of(session: Session, username: str) -> list[Grant]:
    """The roles a user holds."""
    user = _user(session, username)
    rows = session.scalars(select(GrantRow).where(GrantRow.user_id == user.id).order_by(GrantRow.id))
    return [Grant(Role(r.role), r.org_unit_code) for r in rows]


def grant(session: Session, actor: str, username: str, role: Role, org_unit: str | None, tree: OrgUnitTree) -> bool:
    """Give a user a role (scoped where the role is scoped); granting twice changes nothing (False)."""
    check_scope(role, org_unit, tree)
    user = _user(session, username)
    before = grants_of(session, username)
    if Grant(role, org_unit) in before:
        return False
    session.add(GrantRow(user_id=user.id, role=role.value, org_unit_code=org_unit))
    session.flush()
    audit.append(session, actor, "user.grant", "user", username, before=[g.as_dict() for g in before],
                 after=[g.as_dict() for g in grants_of(session, username)])
    return True


def revoke(session: Session, actor: str, username: str, role: Role, org_unit: str | None) -> None:
    """Take a role away; revoking a role the user does not hold, or the last active administrator's
    administrator role, is an error."""
    user = _user(session, username)
    row = session.scalar(select(GrantRow).where(
        GrantRow.user_id == user.id, GrantRow.role == role.value,
        GrantRow.org_unit_code.is_(None) if org_unit is None else GrantRow.org_unit_code == org_unit))
    if row is None:
        raise YangfanError.single("grant.unknown", f"用户“{username}”没有该角色",
                                  f"user '{username}' has no such grant")
    if role == Role.administrator and user.is_active:
        _keep_an_administrator(session, username, "撤销其管理员角色", "revoke its administrator role")
    before = [g.as_dict() for g in grants_of(session, username)]
    session.delete(row)
    session.flush()
    audit.append(session, actor, "user.revoke", "user", username, before=before,
                 after=[g.as_dict() for g in grants_of(session, username)])


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, actor: str, username: str, name: str) -> str:
    """A new API token for a user; the plain token is returned once and never stored."""
    user = _user(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiTokenRow(user_id=user.id, name=name, token_hash=token_digest(token)))
    session.flush()
    audit.append(session, actor, "token.create", "user", username, after={"token_name": name})
    return token


def user_for_token(session: Session, token: str) -> UserRow | None:
    """The active user a token belongs to, or None for an unknown or revoked token."""
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_digest(token),
                                                   ApiTokenRow.revoked.is_(False)))
    if row is None:
        return None
    user = session.get(UserRow, row.user_id)
    return user if user is not None and user.is_active else None


# --- administration (用户管理): list, disable, unlock, reset, revoke tokens; own password change -------------

@dataclass(frozen=True, slots=True)
class Account:
    """One user as the administrator sees it: state, roles, live API tokens and the last login."""

    username: str
    display_name: str
    active: bool
    locked: bool
    must_change_password: bool
    grants: tuple[Grant, ...]
    tokens: int
    #: ISO time (UTC) of the last successful login in the audit log, None when it never logged in.
    last_login: str | None

    def as_dict(self) -> dict[str, Any]:
        """For ``yangfan user list --format json``."""
        return {"username": self.username, "display_name": self.display_name, "active": self.active,
                "locked": self.locked, "must_change_password": self.must_change_password,
                "grants": [g.as_dict() for g in self.grants], "tokens": self.tokens, "last_login": self.last_login}


@dataclass(frozen=True, slots=True)
class AccountChange:
    """What an administrative action did: whether anything changed, what it ended, and a temporary password
    (shown once) after a reset."""

    changed: bool
    sessions_ended: int = 0
    tokens_revoked: int = 0
    password: str | None = None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def list_users(session: Session) -> list[Account]:
    """Every account in username order, with its grants, live tokens and last login."""
    users = list(session.scalars(select(UserRow).order_by(UserRow.username)))
    grants: dict[int, list[Grant]] = {}
    for g in session.scalars(select(GrantRow).order_by(GrantRow.id)):
        grants.setdefault(g.user_id, []).append(Grant(Role(g.role), g.org_unit_code))
    tokens: dict[int, int] = {user_id: n for user_id, n in session.execute(
        select(ApiTokenRow.user_id, func.count()).where(ApiTokenRow.revoked.is_(False)).group_by(ApiTokenRow.user_id))}
    logins: dict[str, str] = {name: at for name, at in session.execute(
        select(AuditRow.entity_id, func.max(AuditRow.at))
        .where(AuditRow.action == "auth.login", AuditRow.entity == "user").group_by(AuditRow.entity_id))}
    now = _now()
    return [Account(u.username, u.display_name, u.is_active, u.locked_until is not None and u.locked_until > now,
                    u.must_change_password, tuple(grants.get(u.id, ())), tokens.get(u.id, 0),
                    logins.get(u.username)) for u in users]


def _not_yourself(actor: str, username: str, zh: str, en: str) -> None:
    if actor == username:
        raise YangfanError.single("user.self", f"不能{zh}", f"you cannot {en}")


def _keep_an_administrator(session: Session, username: str, zh: str, en: str) -> None:
    """Refuse a change that would leave no active administrator (nobody could manage the accounts)."""
    audit.serialise(session)  # two administrators removing each other at once: the second sees the first
    active = set(session.scalars(select(UserRow.username).join(GrantRow, GrantRow.user_id == UserRow.id).where(
        GrantRow.role == Role.administrator.value, UserRow.is_active.is_(True))))
    if active == {username}:
        raise YangfanError.single(
            "user.last_administrator",
            f"用户“{username}”是唯一在用的管理员，不能{zh}：请先为另一位用户授予管理员角色",
            f"'{username}' is the only active administrator, so you cannot {en}: grant the administrator role "
            "to another user first")


def _revoke_tokens(session: Session, user: UserRow) -> int:
    rows = list(session.scalars(select(ApiTokenRow).where(ApiTokenRow.user_id == user.id,
                                                          ApiTokenRow.revoked.is_(False))))
    for row in rows:
        row.revoked = True
    session.flush()
    return len(rows)


def disable_user(session: Session, actor: str, username: str) -> AccountChange:
    """停用: the user can no longer log in, its sessions end and its API tokens stop working (until enabled).

    Refused for the actor itself and for the last active administrator."""
    _not_yourself(actor, username, "停用自己的账户", "disable your own account")
    user = _user(session, username)
    if not user.is_active:
        return AccountChange(False)
    _keep_an_administrator(session, username, "停用其账户", "disable it")
    user.is_active = False
    ended = end_sessions(session, user.id)
    audit.append(session, actor, "user.disable", "user", username, before={"active": True},
                 after={"active": False, "sessions_ended": ended})
    return AccountChange(True, sessions_ended=ended)


def enable_user(session: Session, actor: str, username: str) -> AccountChange:
    """启用: a disabled user may log in again; its unrevoked API tokens work again."""
    user = _user(session, username)
    if user.is_active:
        return AccountChange(False)
    user.is_active = True
    audit.append(session, actor, "user.enable", "user", username, before={"active": False}, after={"active": True})
    return AccountChange(True)


def unlock(session: Session, actor: str, username: str) -> AccountChange:
    """解锁: end a lockout after repeated failed logins and clear the failure count."""
    user = _user(session, username)
    if user.locked_until is None and user.failed_logins == 0:
        return AccountChange(False)
    before = {"failed_logins": user.failed_logins,
              "locked_until": user.locked_until.isoformat() if user.locked_until else None}
    user.failed_logins, user.locked_until = 0, None
    audit.append(session, actor, "user.unlock", "user", username, before=before,
                 after={"failed_logins": 0, "locked_until": None})
    return AccountChange(True)


def temporary_password() -> str:
    """A random password to hand over once: four groups of four unambiguous letters and digits (~92 bits)."""
    return "-".join("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))


def check_new_password(username: str, new: str, current: str | None = None) -> None:
    """The rules of a new password: long enough, not the user's name, not the current password."""
    if len(new) < MIN_LENGTH:
        raise YangfanError.single("password.short", f"密码至少需要 {MIN_LENGTH} 个字符",
                                  f"a password needs at least {MIN_LENGTH} characters")
    if new.casefold() == username.casefold():
        raise YangfanError.single("password.username", "密码不能与用户名相同",
                                  "the password cannot be the username")
    if current is not None and new == current:
        raise YangfanError.single("password.unchanged", "新密码不能与当前密码相同",
                                  "the new password must differ from the current one")


def reset_password(session: Session, actor: str, username: str, password: str | None = None) -> AccountChange:
    """重置密码: a temporary password (generated unless given) that must be changed at the next login; the
    user's API tokens are revoked, its sessions end and any lockout is lifted. The password is returned once
    (in ``AccountChange.password``) and never stored or logged."""
    _not_yourself(actor, username, "重置自己的密码：请在“修改密码”页面修改", "reset your own password: change it "
                  "on the password page")
    user = _user(session, username)
    temporary = temporary_password() if password is None else password
    check_new_password(username, temporary)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    revoked = _revoke_tokens(session, user)
    ended = end_sessions(session, user.id)
    audit.append(session, actor, "user.reset_password", "user", username,
                 after={"must_change_password": True, "tokens_revoked": revoked, "sessions_ended": ended,
                        "generated": password is None})
    return AccountChange(True, sessions_ended=ended, tokens_revoked=revoked, password=temporary)


def revoke_tokens(session: Session, actor: str, username: str) -> AccountChange:
    """撤销令牌: every live API token of the user stops working at once."""
    user = _user(session, username)
    revoked = _revoke_tokens(session, user)
    if revoked:
        audit.append(session, actor, "token.revoke", "user", username, after={"tokens_revoked": revoked})
    return AccountChange(revoked > 0, tokens_revoked=revoked)


def change_own_password(session: Session, username: str, current: str, new: str,
                        keep_cookie: str | None = None) -> AccountChange:
    """修改密码: the user's own change, with its current password; clears a forced change and ends its other
    sessions (the one whose cookie is kept stays logged in)."""
    user = _user(session, username)
    if not check_password(user.password_hash, current):
        raise YangfanError.single("password.wrong", "当前密码不正确", "the current password is wrong")
    check_new_password(username, new, current)
    user.password_hash = hash_password(new)
    forced, user.must_change_password = user.must_change_password, False
    ended = end_sessions(session, user.id, keep_cookie)
    audit.append(session, username, "user.password_change", "user", username,
                 after={"was_forced": forced, "sessions_ended": ended})
    return AccountChange(True, sessions_ended=ended)
