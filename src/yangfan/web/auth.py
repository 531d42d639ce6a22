"""Who is asking: a bearer API token, a session cookie (with CSRF on every change), or the public."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from yangfan.access.accounts import Grant, grants_of, user_for_token
from yangfan.access.permissions import ministry_level
from yangfan.access.roles import Role
from yangfan.access.sessions import resolve
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.web.deps import YangfanDep

COOKIE = "yangfan_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a user with grants, or the public (username None)."""

    username: str | None = None
    grants: tuple[Grant, ...] = field(default=(Grant(Role.public, None),))
    csrf_token: str | None = None

    @property
    def is_public(self) -> bool:
        """True for a caller who did not authenticate."""
        return self.username is None

    @property
    def published_only(self) -> bool:
        """Only ministry-level roles read approved figures before publication; everyone else reads
        published ones, so that no one sees another unit's unpublished data."""
        return not ministry_level(self.grants)

    @property
    def is_administrator(self) -> bool:
        """True for a user with the administrator role."""
        return any(g.role == Role.administrator for g in self.grants)


PUBLIC = Principal()


async def _principal(request: Request, y: YangfanDep) -> Principal:
    auth = request.headers.get("authorization", "")
    cookie = request.cookies.get(COOKIE)
    if not auth and not cookie:  # the public: answered on the event loop, without touching the store
        return PUBLIC
    return await run_in_threadpool(_authenticated, request, y, auth, cookie)


def _authenticated(request: Request, y: Yangfan, auth: str, cookie: str | None) -> Principal:
    with session_scope(y.engine) as s:
        if auth.lower().startswith("bearer "):
            user = user_for_token(s, auth[7:].strip())
            if user is None:
                raise YangfanError.single("auth.token", "API 令牌无效或已撤销", "the API token is invalid or revoked")
            return Principal(user.username, tuple(grants_of(s, user.username)))
        if cookie:
            found = resolve(s, cookie)
            if found is not None:
                user, csrf = found
                if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != csrf:
                    raise YangfanError.single("auth.csrf", "缺少或错误的 CSRF 令牌", "missing or wrong CSRF token")
                return Principal(user.username, tuple(grants_of(s, user.username)), csrf)
    return PUBLIC


PrincipalDep = Annotated[Principal, Depends(_principal)]


def require_user(principal: PrincipalDep) -> Principal:
    """Refuse the public."""
    if principal.is_public:
        raise YangfanError.single("auth.required", "请先登录", "please log in first")
    return principal


UserDep = Annotated[Principal, Depends(require_user)]


def require_administrator(principal: UserDep) -> Principal:
    """Only administrators (the audit log, user management)."""
    if not principal.is_administrator:
        raise YangfanError.single("permission.role", "仅管理员可访问", "administrators only")
    return principal


AdminDep = Annotated[Principal, Depends(require_administrator)]
