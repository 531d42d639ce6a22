"""Who is asking: a bearer API token, a session cookie (with CSRF on every change), or the public."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

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
#: Where an HTML form (no script to set the header) sends the session's CSRF token.
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: The page on which users change their own password, and the one place a forced change leads.
PASSWORD_PAGE = "/account/password"
#: What a session whose password was reset still reaches (``app.API_PREFIX`` is "/api/v1"): the password
#: page, who am I, and logout. Everything else answers 403 on the API and leads to the password page elsewhere.
OPEN_BEFORE_CHANGE = frozenset({PASSWORD_PAGE, "/api/v1/auth/me", "/api/v1/auth/logout"})
API_PREFIX = "/api/v1"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a user with grants, or the public (username None)."""

    username: str | None = None
    grants: tuple[Grant, ...] = field(default=(Grant(Role.public, None),))
    csrf_token: str | None = None
    #: An administrator reset the password: the session may only change it (``PASSWORD_PAGE``).
    must_change_password: bool = False

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
    return await _resolve(request, y, request.headers.get(CSRF_HEADER))


async def _form_principal(request: Request, y: YangfanDep) -> Principal:
    """As ``_principal``, for the routes of HTML forms: the CSRF token comes in the form's ``csrf_token`` field
    (or the header). Only routes that declare form fields use it, so the form is parsed once, by FastAPI."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.method not in SAFE_METHODS:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return await _resolve(request, y, sent)


async def _resolve(request: Request, y: Yangfan, csrf_sent: str | None) -> Principal:
    auth = request.headers.get("authorization", "")
    cookie = request.cookies.get(COOKIE)
    if not auth and not cookie:  # the public: answered on the event loop, without touching the store
        return PUBLIC
    principal = await run_in_threadpool(_authenticated, request, y, auth, cookie, csrf_sent)
    if principal.must_change_password and request.url.path not in OPEN_BEFORE_CHANGE:
        _change_password_first(request)
    return principal


def _change_password_first(request: Request) -> None:
    """Stop a session whose password was reset: a clear 403 on the API, the password page elsewhere."""
    if request.url.path.startswith(API_PREFIX + "/"):
        raise YangfanError.single(
            "permission.password_change",
            f"管理员已重置你的密码：请先在 {PASSWORD_PAGE} 页面设置新密码，然后才能继续使用",
            f"an administrator reset your password: set a new one on {PASSWORD_PAGE} before anything else")
    lang = "?lang=en" if request.query_params.get("lang") == "en" else ""
    # A redirect, answered by the platform's HTTP error handler (which keeps the Location header).
    raise HTTPException(303, headers={"Location": PASSWORD_PAGE + lang})


def _authenticated(request: Request, y: Yangfan, auth: str, cookie: str | None, csrf_sent: str | None) -> Principal:
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
                if request.method not in SAFE_METHODS and csrf_sent != csrf:
                    raise YangfanError.single("auth.csrf", "缺少或错误的 CSRF 令牌", "missing or wrong CSRF token")
                return Principal(user.username, tuple(grants_of(s, user.username)), csrf, user.must_change_password)
    return PUBLIC


PrincipalDep = Annotated[Principal, Depends(_principal)]
FormPrincipalDep = Annotated[Principal, Depends(_form_principal)]


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


def _require_form_user(principal: FormPrincipalDep) -> Principal:
    return require_user(principal)


def _require_form_administrator(principal: FormPrincipalDep) -> Principal:
    return require_administrator(require_user(principal))


#: The same checks for the routes of HTML forms (CSRF token in the form).
FormUserDep = Annotated[Principal, Depends(_require_form_user)]
FormAdminDep = Annotated[Principal, Depends(_require_form_administrator)]
