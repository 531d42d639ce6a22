"""The permission matrix: every API route and page × every role × in and out of scope → allowed or refused.

The routes come from the routers themselves: a new endpoint without a policy here fails the suite.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.builders import platform
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.web import pages
from yangfan.web.app import API_PREFIX, API_ROUTERS, create_app

PASSWORD = "a long enough password"
#: read: anyone; open: anyone (the route itself checks credentials); user: any logged-in user;
#: scoped_write: logged-in users, each inside its own scope only; admin: administrators only;
#: review: ministry roles anywhere, provincial reviewers inside their unit, nobody else.
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
}
SCOPES: dict[Role, str | None] = {
    Role.administrator: None, Role.ministry_analyst: None, Role.provincial_reporter: "440000",
    Role.provincial_reviewer: "440000", Role.operator_reporter: "cmcc",
}
PATH_SAMPLES = {"{code}": {"/indicators/": "bs_5g", "/targets/": "U01", "/org-units/": "440000",
                          "/boundaries/": "440000", "/regions/": "440300"},
                "{fmt}": {"/download.": "xlsx"}}
QUERY_SAMPLES = {"/api/v1/data-values": {"indicator": "bs_5g", "org_unit": "100000", "period": "2025-06"},
                 "/indicators/bs_5g/lineage": {"period": "2025-06"}}


def routes() -> list[tuple[str, str]]:
    api = [(m, API_PREFIX + r.path) for router in API_ROUTERS for r in router.routes
           if isinstance(r, APIRoute) for m in r.methods]
    return sorted(api + [(m, r.path) for r in pages.router.routes if isinstance(r, APIRoute) for m in r.methods])


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


def _request(c: TestClient, headers: dict[str, str], method: str, path: str, role: Role | None, inside: bool) -> int:
    for marker, samples in PATH_SAMPLES.items():
        for prefix, value in samples.items():
            if prefix in path:
                path = path.replace(marker, value)
    if path.endswith("/imports"):
        body = f"indicator,org_unit,period,value,unit,disaggregation\n{_row(role, inside)}\n".encode()
        return c.post(path, params={"file_name": f"m{next(_counter)}.csv"}, content=body, headers=headers).status_code
    if path.endswith("/reviews"):
        return c.post(path, json={"ids": [_submitted(c, role, inside)], "action": "approve"},
                      headers=headers).status_code
    if path.endswith("/auth/login"):
        return c.post(path, json={"username": "nobody", "password": "x"}).status_code
    return c.request(method, path, params=QUERY_SAMPLES.get(path), headers=headers).status_code


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


def expected(kind: str, role: Role | None, inside: bool) -> set[int]:
    if kind == "read":
        return {200}
    if kind == "open":
        return {401}  # refused for the wrong password, never for the role
    if role is None:
        return {401}
    if kind == "user":
        return {200}
    if kind == "admin":
        return {200} if role == Role.administrator else {403}
    if kind == "review":
        if role in (Role.administrator, Role.ministry_analyst):
            return {200}
        if role == Role.provincial_reviewer:  # another unit's value: "not found or not yours", like a wrong id
            return {200} if inside else {404}
        return {403}
    return {200} if inside or SCOPES[role] is None else {403}


CASES = [(m, p, role, inside) for m, p in routes() for role in [None, *SCOPES] for inside in (True, False)
         if policy(m, p) != "unclassified"]


@pytest.mark.parametrize("method,path,role,inside", CASES,
                         ids=[f"{m} {p} {r.value if r else 'public'} {'in' if i else 'out'}" for m, p, r, i in CASES])
def test_permission_matrix(y: Yangfan, method: str, path: str, role: Role | None, inside: bool) -> None:
    c, headers = _client(y, role)
    status = _request(c, headers, method, path, role, inside)
    assert status in expected(policy(method, path), role, inside), (method, path, role, inside, status)
