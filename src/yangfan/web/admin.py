"""用户管理 for administrators, and every user's own password change: server-rendered pages and HTML forms.

No script: every action is a link to a confirmation screen (GET, changes nothing) whose form POSTs the action
with the session's CSRF token in a hidden field. Each POST is checked on the server (administrator, CSRF),
calls one function of ``access.accounts`` and renders the list with a message saying what happened and what
to do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from yangfan.access import accounts
from yangfan.access.passwords import MIN_LENGTH
from yangfan.access.roles import Role, check_scope, parse_role
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.web.auth import COOKIE, AdminDep, FormAdminDep, FormUserDep, Principal, UserDep
from yangfan.web.deps import YangfanDep
from yangfan.web.i18n import Lang, texts, unit_name
from yangfan.web.pages import LangParam, language, render
from yangfan.web.responses import error_response

router = APIRouter(include_in_schema=False)
USERS_PAGE = "/admin/users"
#: Pages that show a temporary password or a result: never kept by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}
NameField = Annotated[str, Form(min_length=1, max_length=64)]
OptionalField = Annotated[str, Form(max_length=64)]


class Action(StrEnum):
    """What an administrator can do to an account (the path of its POST)."""

    disable = "disable"
    enable = "enable"
    unlock = "unlock"
    reset_password = "reset-password"
    revoke_tokens = "revoke-tokens"
    grant = "grant"
    revoke = "revoke"


@dataclass(frozen=True, slots=True)
class AccountRequest:
    """One administrative action on one account: the role and its scope for grant and revoke."""

    action: Action
    username: str
    role: Role | None = None
    org_unit: str | None = None

    @classmethod
    def parse(cls, action: Action, username: str, role: str, org_unit: str, y: Yangfan) -> AccountRequest:
        """From the form's fields: a role (checked against its scope) only for grant and revoke."""
        if action not in (Action.grant, Action.revoke):
            return cls(action, username)
        parsed, unit = parse_role(role), org_unit or None
        if action is Action.grant:
            check_scope(parsed, unit, y.tree)
        return cls(action, username, parsed, unit)

    def fields(self) -> dict[str, str]:
        """The hidden fields of its confirmation form."""
        return {"username": self.username, "role": self.role.value if self.role else "",
                "org_unit": self.org_unit or ""}

    def words(self, y: Yangfan, lang: Lang) -> dict[str, str]:
        """What the messages put in their {placeholders}."""
        t = texts(lang)
        role = t["role_" + self.role.value] if self.role else ""
        scope = t["scope_of"].format(unit=unit_name(y.tree.get(self.org_unit), lang)) if self.org_unit else ""
        return {"user": self.username, "role": role, "scope": scope}


def perform(y: Yangfan, actor: str, req: AccountRequest) -> accounts.AccountChange:
    """Carry out one action, in one transaction with its audit entry."""
    with session_scope(y.engine) as s:
        match req.action:
            case Action.disable:
                return accounts.disable_user(s, actor, req.username)
            case Action.enable:
                return accounts.enable_user(s, actor, req.username)
            case Action.unlock:
                return accounts.unlock(s, actor, req.username)
            case Action.reset_password:
                return accounts.reset_password(s, actor, req.username)
            case Action.revoke_tokens:
                return accounts.revoke_tokens(s, actor, req.username)
            case Action.grant:
                assert req.role is not None
                return accounts.AccountChange(accounts.grant(s, actor, req.username, req.role, req.org_unit, y.tree))
            case Action.revoke:
                assert req.role is not None
                accounts.revoke(s, actor, req.username, req.role, req.org_unit)
                return accounts.AccountChange(True)


def outcome_message(req: AccountRequest, change: accounts.AccountChange, y: Yangfan, lang: Lang) -> str:
    """What happened, and what to do next, in the page's language."""
    key = req.action.name
    template = texts(lang)[("done_" if change.changed else "same_") + key]
    return template.format(sessions=change.sessions_ended, tokens=change.tokens_revoked, **req.words(y, lang))


def _error_text(exc: YangfanError, lang: Lang) -> str:
    return "；".join(i.message_zh for i in exc.issues) if lang == "zh" else "; ".join(i.message_en for i in exc.issues)


def _users_page(request: Request, y: Yangfan, principal: Principal, lang: Lang, status_code: int = 200,
                **context: Any) -> HTMLResponse:
    """The list of accounts (with a result or an error message when an action was just taken)."""
    with session_scope(y.engine) as s:
        users = accounts.list_users(s)
    operators = sorted((u for u in y.tree.units.values() if u.kind == "operator"), key=lambda u: u.code)
    unit_names = {g.org_unit: unit_name(y.tree.get(g.org_unit), lang) for u in users for g in u.grants if g.org_unit}
    response = render(request, "users.html", principal, lang, status_code=status_code, users=users,
                      roles=[r for r in Role if r is not Role.public], provinces=y.tree.at_level(1),
                      operators=operators, unit_name=unit_name, unit_names=unit_names,
                      switch_url=f"{USERS_PAGE}?lang={'en' if lang == 'zh' else 'zh'}", **context)
    response.headers.update(NO_STORE)
    return response


@router.get(USERS_PAGE, response_class=HTMLResponse)
def users_page(request: Request, y: YangfanDep, principal: AdminDep, lang: LangParam = None) -> HTMLResponse:
    """用户管理: every account with its roles and state, and the actions on it."""
    return _users_page(request, y, principal, language(lang))


@router.get(USERS_PAGE + "/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, y: YangfanDep, principal: AdminDep, action: Action,
                 username: Annotated[str, Query(min_length=1, max_length=64)], role: str = "", org_unit: str = "",
                 lang: LangParam = None) -> HTMLResponse:
    """The confirmation screen of one action: what it will do, and a form that does it (changes nothing itself)."""
    lang_ = language(lang)
    try:
        req = AccountRequest.parse(action, username, role, org_unit, y)
        with session_scope(y.engine) as s:
            accounts.grants_of(s, username)  # an unknown user is refused here, not after confirming
        question = texts(lang_)["ask_" + action.name].format(**req.words(y, lang_))
    except YangfanError as exc:
        return _users_page(request, y, principal, lang_, error_response(exc).status_code,
                           error=_error_text(exc, lang_))
    response = render(request, "users.html", principal, lang_, confirm=req, question=question)
    response.headers.update(NO_STORE)
    return response


@router.post(USERS_PAGE + "/{action}", response_class=HTMLResponse)
def act(request: Request, y: YangfanDep, principal: FormAdminDep, action: Action, username: NameField,
        role: OptionalField = "", org_unit: OptionalField = "", lang: LangParam = None) -> HTMLResponse:
    """Do one confirmed action; the list comes back with what happened (and a temporary password, once)."""
    lang_ = language(lang)
    try:
        req = AccountRequest.parse(action, username, role, org_unit, y)
        change = perform(y, principal.username or "", req)
    except YangfanError as exc:
        return _users_page(request, y, principal, lang_, error_response(exc).status_code,
                           error=_error_text(exc, lang_))
    return _users_page(request, y, principal, lang_, result=outcome_message(req, change, y, lang_),
                       temporary_password=change.password, subject=req.username)


# --- the own password (every logged-in user; the one page a forced change leads to) ------------------------

def _password_page(request: Request, principal: Principal, lang: Lang, status_code: int = 200,
                   **context: Any) -> HTMLResponse:
    response = render(request, "password.html", principal, lang, status_code=status_code,
                      forced=principal.must_change_password, rules=texts(lang)["pw_rules"].format(length=MIN_LENGTH),
                      switch_url=f"/account/password?lang={'en' if lang == 'zh' else 'zh'}", **context)
    response.headers.update(NO_STORE)
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, user: UserDep, lang: LangParam = None) -> HTMLResponse:
    """修改密码: the form; after an administrator's reset, the only page the user can open."""
    return _password_page(request, user, language(lang))


PasswordField = Annotated[str, Form(min_length=1, max_length=200)]


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, y: YangfanDep, user: FormUserDep, current: PasswordField,
                    new: PasswordField, repeat: PasswordField, lang: LangParam = None) -> HTMLResponse:
    """Change the own password with the current one; other sessions of the user end, this one stays."""
    lang_ = language(lang)
    try:
        if new != repeat:
            raise YangfanError.single("password.mismatch", texts("zh")["pw_mismatch"], texts("en")["pw_mismatch"])
        with session_scope(y.engine) as s:
            change = accounts.change_own_password(s, user.username or "", current, new, request.cookies.get(COOKIE))
    except YangfanError as exc:
        return _password_page(request, user, lang_, 400, error=_error_text(exc, lang_))
    done = Principal(user.username, user.grants, user.csrf_token)  # no longer held to the password page
    return _password_page(request, done, lang_, result=texts(lang_)["pw_done"].format(sessions=change.sessions_ended))
