"""The permission matrix: every API route and page × every role × in and out of scope → allowed or refused.

The routes come from the routers themselves: a new endpoint without a policy here fails the suite.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from tests.builders import platform
from tests.web.reporting_builders import OPM_SEPTEMBER, PRQ_QUARTER
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.web import (
    admin,
    apidocs,
    completeness_page,
    evaluation,
    pages,
    registry_intake,
    registry_pages,
    reporting_pages,
    returns_review,
)
from yangfan.web.app import API_PREFIX, API_ROUTERS, create_app

PASSWORD = "a long enough password"
#: read: anyone; open: anyone (the route itself checks credentials); user: any logged-in user;
#: login: any logged-in user, the public sent to the login page (303); scoped_write: logged-in users, each inside
#: its own scope only; scoped: the same for reading a return (those who fill it, check it or are of its place);
#: scoped_login: scoped, the public sent to the login page; fill: a return's reporters (inside their scope) and the
#: ministry, never a reviewer; admin: administrators only; review: ministry roles anywhere, provincial reviewers
#: inside their unit, other roles refused up front (403); review_return: the same, but a return another role may not
#: act on is answered like an unknown id (404); reviewer: ministry roles and provincial reviewers; place: the
#: ministry and the place-scoped roles (provincial reporters and reviewers), not operators.
POLICY = {
    ("POST", "/api/v1/auth/login"): "open",
    ("POST", "/api/v1/auth/logout"): "user",
    ("GET", "/api/v1/auth/me"): "read",
    ("POST", "/api/v1/imports"): "scoped_write",
    ("GET", "/api/v1/boundaries/{code}"): "read",  # public: map outlines, no figures
    ("GET", "/audit"): "admin",
    ("GET", "/review"): "user",
    ("GET", "/api/v1/submissions"): "user",  # each sees its own scope: test_auth checks the contents
    ("POST", "/api/v1/reviews"): "review",
    # Statistical reporting (api/returns): the forms are public, everything else needs a login.
    ("GET", "/api/v1/forms"): "read",
    ("GET", "/api/v1/forms/{form}"): "read",
    ("GET", "/api/v1/obligations"): "user",  # each sees what it owes or reviews
    ("GET", "/api/v1/returns/{form}/{org_unit}/{period}"): "scoped",
    ("GET", "/api/v1/returns/{form}/{org_unit}/{period}/template.xlsx"): "scoped",
    ("POST", "/api/v1/returns/{form}/{org_unit}/{period}/validate"): "scoped",
    ("PUT", "/api/v1/returns/{form}/{org_unit}/{period}"): "fill",
    ("POST", "/api/v1/returns/{form}/{org_unit}/{period}/submit"): "fill",
    ("POST", "/api/v1/returns/{submission_id}/{step}"): "review_return",
    ("POST", "/api/v1/uploads"): "scoped_write",  # a file of values: the checks of POST /imports
    ("POST", "/api/v1/uploads/check"): "user",  # writes nothing
    ("POST", "/api/v1/uploads/annotated"): "user",  # writes nothing
    # Pages.
    ("GET", "/admin/users"): "admin",
    ("GET", "/admin/users/confirm"): "admin",
    ("POST", "/admin/users/{action}"): "admin",
    ("GET", "/account/password"): "user",
    ("POST", "/account/password"): "user",
    ("GET", "/reporting"): "login",
    ("GET", "/reporting/calendar"): "login",
    ("GET", "/reporting/upload"): "login",
    ("GET", "/reporting/{form}/{org_unit}/{period}"): "scoped_login",
    ("GET", "/reporting/completeness"): "place",
    ("GET", "/review/returns"): "reviewer",
    ("GET", "/review/returns/{submission_id}"): "review",
    # Registries (名录): reading follows the record (the public reads recognised ones, the default); entering is
    # scoped (a province's reporters in their province, an operator's its own networks), deciding the ministry's.
    ("GET", "/registry/new"): "registry_enterer",
    ("POST", "/registry/new"): "registry_enter",
    ("GET", "/registry/import"): "registry_enterer",
    ("POST", "/registry/{record_id}/edit"): "registry_enter",
    ("POST", "/registry/attachments"): "registry_enter",
    ("POST", "/registry/applications"): "registry_enter",
    ("GET", "/registry/calls/{call_id}/apply"): "login",
    ("POST", "/registry/calls"): "ministry",
    ("POST", "/registry/{record_id}/decision"): "ministry",
    ("POST", "/registry/{record_id}/withdraw"): "ministry",
    ("POST", "/registry/merge"): "ministry",
    ("GET", "/registry/review"): "ministry_login",
    ("GET", "/registry/duplicates"): "ministry_login",
    ("POST", "/api/v1/registry/records"): "registry_enter",
    ("POST", "/api/v1/registry/imports"): "registry_enter",  # a dry run: the scope is checked all the same
    ("POST", "/api/v1/registry/records/{record_id}/decision"): "ministry",
    ("POST", "/api/v1/registry/records/{record_id}/merge"): "ministry",
    ("GET", "/api/v1/registry/duplicates"): "ministry",
    # 扬帆之城评价: public pages and JSON (the public reads the run on published figures, the ministry its own).
    ("GET", "/evaluate"): "read",
    ("GET", "/evaluate/cities/{code}"): "read",
    ("GET", "/evaluate/audit"): "read",
    ("GET", "/evaluate/designated"): "read",
    ("GET", "/api/v1/evaluate"): "read",
    ("GET", "/api/v1/evaluate/audit"): "read",
    ("GET", "/api/v1/evaluate/boundaries"): "read",
}
#: The routers of pages (the API's are ``API_ROUTERS``).
PAGE_ROUTERS = (pages.router, apidocs.router, admin.router, reporting_pages.router, returns_review.router,
                completeness_page.router, registry_intake.router, registry_pages.router, evaluation.router)
SCOPES: dict[Role, str | None] = {
    Role.administrator: None, Role.ministry_analyst: None, Role.provincial_reporter: "440000",
    Role.provincial_reviewer: "440000", Role.operator_reporter: "cmcc",
}
PATH_SAMPLES = {"{code}": {"/indicators/": "bs_5g", "/targets/": "U01", "/org-units/": "440000",
                          "/boundaries/": "440000", "/regions/": "440300",
                          "/evaluate/cities/": "440300"},
                "{fmt}": {"/download.": "xlsx"}, "{form}": {"/forms/": "OPM"}, "{action}": {"/admin/users/": "unlock"},
                "{step}": {"/returns/": "approve"}}
QUERY_SAMPLES = {"/api/v1/data-values": {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-06"},
                 "/indicators/bs_5g/lineage": {"period": "2025-06"},
                 "/admin/users/confirm": {"action": "unlock", "username": Role.operator_reporter.value},
                 "/api/v1/registry/check-uscc": {"code": "91440300708461136T"}}
RETURN = "{form}/{org_unit}/{period}"


def routes() -> list[tuple[str, str]]:
    api = [(m, API_PREFIX + r.path) for router in API_ROUTERS for r in router.routes
           if isinstance(r, APIRoute) for m in r.methods]
    return sorted(api + [(m, r.path) for router in PAGE_ROUTERS for r in router.routes if isinstance(r, APIRoute)
                         for m in r.methods])


def policy(method: str, path: str) -> str:
    return POLICY.get((method, path), "read" if method == "GET" else "unclassified")


def test_every_route_has_a_policy() -> None:
    assert [r for r in routes() if policy(*r) == "unclassified"] == []


@pytest.fixture(scope="module")
def y(tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    p = platform(Path(tmp_path_factory.mktemp("perm")))
    with session_scope(p.engine) as s:
        for role, unit in SCOPES.items():
            accounts.create_user(s, "test", role.value, PASSWORD)
            accounts.grant(s, "test", role.value, role, unit, p.tree)
    p.rebuild()
    return p


def _client(y: Yangfan, role: Role | None) -> tuple[TestClient, dict[str, str]]:
    c = TestClient(create_app(y))
    if role is None:
        return c, {}
    csrf = c.post("/api/v1/auth/login", json={"username": role.value, "password": PASSWORD}).json()["csrf_token"]
    return c, {"X-CSRF-Token": csrf}


def _row(role: Role | None, inside: bool) -> str:
    unit = SCOPES.get(role) if role else None
    if role == Role.operator_reporter:
        return f"bs_5g,440000,2025-06,1,万个,operator={'cmcc' if inside else 'ctcc'}"
    return f"bs_5g,{'440300' if inside or unit is None else '110000'},2025-06,1,万个,"


_counter = itertools.count()


_fresh = itertools.count()  # the returns submitted: each request its own


def _return(role: Role | None, inside: bool, fresh: bool) -> tuple[str, dict[str, str], Mapping[str, float]]:
    """A return in or out of the role's scope (form/org unit/period), its query and complete figures.

    An operator's reporter is in scope for its operator's returns (OPM, cmcc) only, the provincial roles for their
    province's (PRQ, 440000) only. A fresh return (to submit) is of a past period and no other request's; the
    others are of a future period, never submitted, so that drafts may always be saved."""
    n = next(_fresh) if fresh else 0
    if role == Role.operator_reporter:
        period = f"2026-{n % 9 + 1:02d}" if fresh else "2027-12"
        unit = ("440000", "120000", "130000", "140000", "150000")[n // 9 % 5]
        return f"OPM/{unit}/{period}", {"reporter": "cmcc" if inside else "ctcc"}, OPM_SEPTEMBER
    unit = "440000" if inside else "110000"
    if fresh and (role is None or SCOPES[role] is None):  # the ministry: any province, one return each
        unit = ("210000", "220000", "230000", "310000", "320000", "330000", "340000", "350000")[n // 3 % 8]
    return f"PRQ/{unit}/{f'2026Q{n % 3 + 1}' if fresh else '2027Q4'}", {}, PRQ_QUARTER


def _csv(role: Role | None, inside: bool) -> bytes:
    return f"indicator,org_unit,period,value,unit,disaggregation\n{_row(role, inside)}\n".encode()


def _sampled(path: str) -> str:
    for marker, samples in PATH_SAMPLES.items():
        for prefix, value in samples.items():
            if prefix in path:
                path = path.replace(marker, value)
    return path


def _request(c: TestClient, headers: dict[str, str], method: str, path: str, role: Role | None,
             inside: bool) -> Response:
    if "/registry/" in path and "{" in path or method == "POST" and "/registry" in path:
        return _registry_request(c, headers, method, path, role, inside)
    path = _sampled(path)
    if RETURN in path:  # save and submit a complete return, validate an empty one
        submit = path.endswith("/submit")
        sample, query, figures = _return(role, inside, fresh=submit)
        cells = [{"indicator": k, "value": v} for k, v in figures.items()] if submit else []
        return c.request(method, path.replace(RETURN, sample), params=query,
                         json={"cells": cells} if method != "GET" else None, headers=headers, follow_redirects=False)
    if "{submission_id}" in path:
        path = path.replace("{submission_id}", str(_submitted_return(c, role, inside)))
        if method == "POST":
            return c.post(path, json={"message": ""}, headers=headers)
    if method == "POST":
        return _post(c, headers, path, role, inside)
    return c.request(method, path, params=QUERY_SAMPLES.get(path), headers=headers, follow_redirects=False)


def _post(c: TestClient, headers: dict[str, str], path: str, role: Role | None, inside: bool) -> Response:
    csrf = {"csrf_token": headers.get("X-CSRF-Token", "")}  # the HTML forms send it in a field
    if path.endswith("/imports"):
        return c.post(path, params={"file_name": f"m{next(_counter)}.csv"}, content=_csv(role, inside),
                      headers=headers)
    if path.endswith(("/uploads", "/uploads/check", "/uploads/annotated")):
        return c.post(path, files={"file": (f"u{next(_counter)}.csv", _csv(role, inside))}, headers=headers)
    if path.endswith("/reviews"):
        return c.post(path, json={"ids": [_submitted(c, role, inside)], "action": "approve"}, headers=headers)
    if path.endswith("/auth/login"):
        return c.post(path, json={"username": "nobody", "password": "x"})
    if path.startswith("/admin/users/"):
        return c.post(path, data={"username": Role.operator_reporter.value, **csrf})
    if path == "/account/password":
        temporary = {"current": PASSWORD, "new": PASSWORD + " for now", "repeat": PASSWORD + " for now"}
        changed = c.post(path, data={**temporary, **csrf})
        if changed.status_code == 200:  # and back, for the next requests' logins
            back = {"current": temporary["new"], "new": PASSWORD, "repeat": PASSWORD}
            assert c.post(path, data={**back, **csrf}).status_code == 200
        return changed
    return c.post(path, headers=headers)


def _submitted_return(c: TestClient, role: Role | None, inside: bool) -> int:
    """A fresh submitted return (empty: the store does not check it) in or out of a Guangdong reviewer's scope."""
    import hashlib

    from yangfan.store import submissions
    from yangfan.store.submissions import ReturnKey

    y: Yangfan = c.app.state.yangfan  # type: ignore[attr-defined]
    n = next(_counter)  # before the forms' first periods: no request of the API's makes these returns
    key = ReturnKey("PRQ", "440000" if inside or role != Role.provincial_reviewer else "110000", "",
                    f"{2025 - n // 4}Q{n % 4 + 1}")
    with session_scope(y.engine) as s:
        row, _written = submissions.submit(s, "test", key, {}, [], f"{key} test",
                                           hashlib.sha256(str(key).encode()).hexdigest())
        return row.id


def _submitted(c: TestClient, role: Role | None, inside: bool) -> int:
    """A fresh value awaiting review, in or out of the role's scope; its id."""
    from sqlalchemy import select

    from yangfan.collect.importer import import_content
    from yangfan.store.models import DataValueRow

    y: Yangfan = c.app.state.yangfan  # type: ignore[attr-defined]
    n = next(_counter)
    content = ("indicator,org_unit,period,value,unit,disaggregation\n"
               f"bs_5g,{_row(role, inside).split(',', 2)[1] if role != Role.operator_reporter else '440300'},"
               f"2019-{n % 12 + 1:02d},{n + 1},个,\n").encode()
    result = import_content(y.engine, content, f"s{n}.csv", y.catalog, y.tree, status="submitted")
    with session_scope(y.engine) as s:
        return int(s.scalars(select(DataValueRow.id).where(DataValueRow.batch_id == result.batch_id)).one())


# --- registries (名录) ---------------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n% a permission test\n"
_calls: dict[str, int] = {}


def _registry_scope(role: Role | None, inside: bool) -> dict[str, str]:
    """A record's fields inside or outside the role's scope: an operator's network, else a case in a province."""
    n = next(_counter)
    if role == Role.operator_reporter:
        return {"kind": "vpn", "category": "shared", "name": f"权限测试专网{n}", "org_unit": "440300",
                "operator": "cmcc" if inside else "ctcc"}
    return {"kind": "case", "category": "typical_case", "name": f"权限测试案例{n}",
            "org_unit": "440300" if inside else "110000"}


def _registry_record(y: Yangfan, fields: dict[str, str], status: str = "recognised",
                     attach: bool = False) -> tuple[int, int]:
    """A record entered by the ministry (and an attachment): its id (and the attachment's)."""
    from yangfan.access.accounts import Grant
    from yangfan.registry import intake, records
    from yangfan.registry.records import RecordInput

    ministry = [Grant(Role.administrator, None)]
    with session_scope(y.engine) as s:
        row = records.create(s, y.registry, y.tree, ministry, "test", RecordInput(**fields), status=status)
        a = intake.attach(s, y.settings.attachments_dir, ministry, y.registry, y.tree, "test", row, "a.pdf", PDF) \
            if attach else None
        return row.id, a.id if a else 0


def _registry_call(y: Yangfan, kind: str) -> int:
    """An open call for applications of ``kind`` (one per kind)."""
    from datetime import timedelta

    from yangfan.registry import intake

    if kind not in _calls:
        today = y.today()
        with session_scope(y.engine) as s:
            call = intake.CallInput(kind, "", "权限测试征集", "", "", today - timedelta(days=1),
                                    today + timedelta(days=30))
            _calls[kind] = intake.open_call(s, y.registry, [accounts.Grant(Role.administrator, None)], "test", call).id
    return _calls[kind]


def _registry_path(y: Yangfan, path: str, mine: dict[str, str]) -> tuple[str, int]:
    """The path with its samples: a record with an attachment, one in or out of the role's scope to edit or attach
    to, a fresh application to decide, a fresh recognised record otherwise; an open call."""
    case = _registry_scope(None, True)
    if "{attachment_id}" in path:
        record, attachment = _registry_record(y, case, attach=True)
        path = path.replace("{attachment_id}", str(attachment))
    elif path.endswith(("/edit", "/attachments")):
        record = _registry_record(y, mine)[0]
    else:
        record = _registry_record(y, case, "applied" if path.endswith("/decision") else "recognised")[0]
    path = path.replace("{fmt}", "csv").replace("{call_id}", str(_registry_call(y, "case")))
    return path.replace("{record_id}", str(record)), record


def _registry_request(c: TestClient, headers: dict[str, str], method: str, path: str, role: Role | None,
                      inside: bool) -> Response:
    """A registry route with its records: readable ones for reading, in or out of scope for entering, fresh ones
    for deciding and merging (each request its own)."""
    y: Yangfan = c.app.state.yangfan  # type: ignore[attr-defined]
    mine = _registry_scope(role, inside)
    path, record = _registry_path(y, path, mine)
    if method == "GET":
        return c.get(path, headers=headers, follow_redirects=False)
    if path.startswith("/api/"):
        return _registry_api(c, y, headers, path, mine)
    csrf = {"csrf_token": headers.get("X-CSRF-Token", "")}
    files = {"file": ("a.pdf", PDF)}
    today = y.today().isoformat()
    forms: dict[str, tuple[dict[str, str], dict[str, tuple[str, bytes]] | None]] = {
        "/new": (mine, None), "/edit": (mine, None), "/attachments": ({"record_id": str(record)}, files),
        "/applications": ({**mine, "call_id": str(_registry_call(y, mine["kind"]))}, files),
        "/calls": ({"kind": "case", "title_zh": "测试征集", "opens": today, "closes": today}, None),
        "/merge": ({"keep": str(record), "pair": f"{record},{_registry_record(y, _registry_scope(None, True))[0]}"},
                   None),
        "/decision": ({"decision": "recognise"}, None), "/withdraw": ({"message": "权限测试"}, None)}
    data, sent = forms["/" + path.rsplit("/", 1)[-1]]
    return c.post(path, data={**data, **csrf}, files=sent, headers=headers)


def _registry_api(c: TestClient, y: Yangfan, headers: dict[str, str], path: str, mine: dict[str, str]) -> Response:
    if path.endswith("/records"):
        return c.post(path, json=mine, headers=headers)
    if path.endswith("/imports"):  # a dry run
        row = ",".join(mine.get(k, "") for k in ("kind", "category", "name", "org_unit", "operator"))
        body = f"kind,category,name,org_unit,operator\n{row}\n".encode()
        return c.post(path, params={"dry_run": "true"}, files={"file": ("r.csv", body)}, headers=headers)
    if path.endswith("/decision"):
        return c.post(path, json={"decision": "recognise"}, headers=headers)
    return c.post(path, json={"drop": _registry_record(y, _registry_scope(None, True))[0]}, headers=headers)


def registry_expected(kind: str, role: Role | None, inside: bool) -> set[int]:
    """ministry(_login): the ministry's roles only; registry_enter(er): those who enter records, each inside its
    scope only (the API answers a new record with 201); the public sent to log in on the pages it may open."""
    if role is None:
        return {303} if kind in ("ministry_login", "registry_enterer") else {401}
    if kind in ("ministry", "ministry_login"):
        return {200} if role in (Role.administrator, Role.ministry_analyst) else {403}
    if role == Role.provincial_reviewer:  # reviews returns, enters no record
        return {403}
    return {200, 201} if kind == "registry_enterer" or inside or SCOPES[role] is None else {403}


REGISTRY_POLICIES = ("ministry", "ministry_login", "registry_enter", "registry_enterer")


def expected(kind: str, role: Role | None, inside: bool) -> set[int]:  # noqa: C901 - one branch per policy
    if kind in REGISTRY_POLICIES:
        return registry_expected(kind, role, inside)
    if kind == "read":
        return {200}
    if kind == "open":
        return {401}  # refused for the wrong password, never for the role
    if role is None:
        return {303} if kind in ("login", "scoped_login") else {401}
    if kind in ("user", "login"):
        return {200}
    if kind == "admin":
        return {200} if role == Role.administrator else {403}
    if kind in ("review", "review_return"):
        return _review(kind, role, inside)
    if kind == "reviewer":
        return {403} if role in (Role.provincial_reporter, Role.operator_reporter) else {200}
    if kind == "place":
        return {403} if role == Role.operator_reporter else {200}
    if kind == "fill" and role == Role.provincial_reviewer:  # sees its province's returns, never fills them
        return {403}
    return {200} if inside or SCOPES[role] is None else {403}


def _review(kind: str, role: Role, inside: bool) -> set[int]:
    if role in (Role.administrator, Role.ministry_analyst):
        return {200}
    if role == Role.provincial_reviewer:  # another unit's value: "not found or not yours", like a wrong id
        return {200} if inside else {404}
    return {403} if kind == "review" else {404}


CASES = [(m, p, role, inside) for m, p in routes() for role in [None, *SCOPES] for inside in (True, False)
         if policy(m, p) != "unclassified"]


@pytest.mark.parametrize("method,path,role,inside", CASES,
                         ids=[f"{m} {p} {r.value if r else 'public'} {'in' if i else 'out'}" for m, p, r, i in CASES])
def test_permission_matrix(y: Yangfan, method: str, path: str, role: Role | None, inside: bool) -> None:
    c, headers = _client(y, role)
    response = _request(c, headers, method, path, role, inside)
    status = response.status_code
    assert status in expected(policy(method, path), role, inside), (method, path, role, inside, status)
    if status == 303:
        assert response.headers["location"].startswith("/login"), response.headers["location"]
