"""Login, logout and who am I; imports of data values by authorised users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from yangfan.access.permissions import import_status, may_write
from yangfan.access.sessions import NewSession, login, logout
from yangfan.collect.importer import import_content
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.web.auth import COOKIE, PrincipalDep, UserDep
from yangfan.web.clients import client_address
from yangfan.web.deps import YangfanDep

router = APIRouter(tags=["account and imports"])
#: The largest import file; ``limits.BodyLimit`` refuses a larger body before reading it.
MAX_UPLOAD = 20 * 1024 * 1024
#: An import file as the OpenAPI document describes it: CSV text in the request body, with an example.
IMPORT_BODY = {"requestBody": {"required": True, "content": {"text/csv": {
    "schema": {"type": "string"},
    "example": "indicator,org_unit,period,value,unit,disaggregation\nbs_5g,440300,2025-06,8.1,万个,\n"}}}}


class LoginIn(BaseModel):
    """Credentials."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


def _me(principal: Any) -> dict[str, Any]:
    return {"username": principal.username, "csrf_token": principal.csrf_token,
            "grants": [g.as_dict() for g in principal.grants]}


@router.post("/auth/login", summary="Log in; sets the session cookie / 登录")
def do_login(body: LoginIn, request: Request, response: Response, y: YangfanDep) -> dict[str, Any]:
    if not request.app.state.login_limit.allow(client_address(request)):
        raise YangfanError.single("auth.rate_limited", "登录尝试过于频繁，请稍后再试",
                                  "too many login attempts from this address: try again in a minute")
    with session_scope(y.engine) as s:
        result = login(s, body.username, body.password)
    if isinstance(result, YangfanError):  # committed first: the failure count and its audit entry stay
        raise result
    assert isinstance(result, NewSession)
    response.set_cookie(COOKIE, result.cookie, httponly=True, samesite="lax", max_age=8 * 3600,
                        secure=request.url.scheme == "https")
    return {"username": body.username, "csrf_token": result.csrf_token}


@router.post("/auth/logout", summary="Log out / 退出")
def do_logout(request: Request, response: Response, y: YangfanDep, user: UserDep) -> dict[str, str]:
    with session_scope(y.engine) as s:
        logout(s, request.cookies.get(COOKIE, ""), user.username or "")
    response.delete_cookie(COOKIE)
    return {"status": "logged out"}


@router.get("/auth/me", summary="Who am I / 当前用户")
def me(principal: PrincipalDep) -> dict[str, Any]:
    return _me(principal)


@router.post("/imports", summary="Import a CSV of data values (all rows or none) / 导入数据", openapi_extra=IMPORT_BODY)
async def import_values(request: Request, y: YangfanDep, user: UserDep,
                        file_name: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
    """Every row must be valid and inside the caller's scope; reporters' values wait for review."""
    content = await request.body()
    if len(content) > MAX_UPLOAD:
        raise YangfanError.single("file.too_large", "文件过大（上限 20 MB）", "file too large (20 MB at most)")
    result = import_content(y.engine, content, file_name, y.catalog, y.tree, status=import_status(user.grants),
                            user=user.username or "", allowed=lambda v: may_write(user.grants, v, y.tree))
    y.changed()  # the builder applies it in the background: the response does not wait for the analytics
    return {"batch_id": result.batch_id, "inserted": result.inserted, "revised": result.revised,
            "unchanged": result.unchanged, "repeated": result.repeated, "status": import_status(user.grants)}
