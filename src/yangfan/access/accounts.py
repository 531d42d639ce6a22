"""Accounts, grants and API tokens; every change is written to the audit log in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yangfan.access.passwords import hash_password
from yangfan.access.roles import Role, check_scope
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store import audit
from yangfan.store.models import ApiTokenRow, GrantRow, UserRow

TOKEN_PREFIX = "yf_"


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


def grant(session: Session, actor: str, username: str, role: Role, org_unit: str | None, tree: OrgUnitTree) -> None:
    """Give a user a role (scoped where the role is scoped); granting twice changes nothing."""
    check_scope(role, org_unit, tree)
    user = _user(session, username)
    before = grants_of(session, username)
    if Grant(role, org_unit) in before:
        return
    session.add(GrantRow(user_id=user.id, role=role.value, org_unit_code=org_unit))
    session.flush()
    audit.append(session, actor, "user.grant", "user", username, before=[g.as_dict() for g in before],
                 after=[g.as_dict() for g in grants_of(session, username)])


def revoke(session: Session, actor: str, username: str, role: Role, org_unit: str | None) -> None:
    """Take a role away; revoking a role the user does not hold is an error."""
    user = _user(session, username)
    row = session.scalar(select(GrantRow).where(
        GrantRow.user_id == user.id, GrantRow.role == role.value,
        GrantRow.org_unit_code.is_(None) if org_unit is None else GrantRow.org_unit_code == org_unit))
    if row is None:
        raise YangfanError.single("grant.unknown", f"用户“{username}”没有该角色",
                                  f"user '{username}' has no such grant")
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
