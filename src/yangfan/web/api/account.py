"""Login, logout and who am I; imports of data values by authorised users."""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from yangfan.access.permissions import import_status, may_write
from yangfan.access.sessions import NewSession, login, logout
from yangfan.collect.importer import import_content
from yangfan.errors import Location, YangfanError
from yangfan.store.db import session_scope
from yangfan.web.auth import COOKIE, PrincipalDep, UserDep
from yangfan.web.clients import client_address
from yangfan.web.deps import YangfanDep

router = APIRouter(tags=["account and imports"])
#: The longest file name an import may be given (the store's ``import_batch.file_name`` holds 300).
MAX_FILE_NAME = 200
#: The largest import file; ``limits.BodyLimit`` refuses a larger body before reading it (a multipart body's
#: envelope counts too: its file may be a few hundred bytes short of this).
MAX_UPLOAD = 20 * 1024 * 1024
#: The part of a multipart/form-data body that carries the import file: the only part read.
FILE_PART = "file"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_EXAMPLE = "indicator,org_unit,period,value,unit,disaggregation\nbs_5g,440300,2025-06,8.1,万个,\n"
#: An import file as the OpenAPI document describes it: the file as the raw body (CSV text, with an example, or
#: XLSX bytes), or as the ``file`` part of a multipart/form-data body.
IMPORT_BODY = {"requestBody": {
    "required": True,
    "description": (
        "The import file, 20 MB at most: CSV (UTF-8, or GBK/GB18030 as Excel on Chinese Windows saves it; headings "
        "in English or Chinese, e.g. 指标, 组织单元, 期间, 数值) or XLSX (the first sheet). Either the raw body, "
        "named by `?file_name=`, or the `file` part of a multipart/form-data body, named by `?file_name=` or else by "
        "the part's own file name. Every row is valid and stored, or none. / 导入文件（不超过 20 MB）：CSV（UTF-8，或 "
        "中文版 Excel 保存的 GBK/GB18030；列名可用英文或中文）或 XLSX（读取第一个工作表）。可直接作为请求体发送（用 "
        "?file_name= 命名），也可作为 multipart/form-data 的 file 字段上传（未给 ?file_name= 时用上传的文件名）。"
        "全部行有效才写入，否则一行也不写入。"),
    "content": {
        "text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE},
        _XLSX: {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {"type": "object", "required": [FILE_PART], "additionalProperties": False,
                       "properties": {FILE_PART: {"type": "string", "format": "binary",
                                                  "description": "The CSV or XLSX file / 导入文件"}}},
            "encoding": {FILE_PART: {"contentType": f"text/csv, {_XLSX}, application/octet-stream"}}},
    }}}


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


@router.post("/imports", summary="Import a CSV or XLSX of data values (all rows or none) / 导入数据",
             openapi_extra=IMPORT_BODY)
async def import_values(request: Request, y: YangfanDep, user: UserDep,
                        file_name: Annotated[str | None, Query(min_length=1, max_length=MAX_FILE_NAME)] = None
                        ) -> dict[str, Any]:
    """Every row must be valid and inside the caller's scope; reporters' values wait for review."""
    content, name = await _upload(request, file_name)
    if len(content) > MAX_UPLOAD:
        raise YangfanError.single("file.too_large", "文件过大（上限 20 MB）", "file too large (20 MB at most)")
    result = import_content(y.engine, content, name, y.catalog, y.tree, status=import_status(user.grants),
                            user=user.username or "", allowed=lambda v: may_write(user.grants, v, y.tree),
                            rules=y.rules, today=y.today())
    y.changed()  # the builder applies it in the background: the response does not wait for the analytics
    return {"batch_id": result.batch_id, "inserted": result.inserted, "revised": result.revised,
            "unchanged": result.unchanged, "repeated": result.repeated, "status": import_status(user.grants)}


def _multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower() == "multipart/form-data"


async def file_part(request: Request) -> tuple[bytes, str]:
    """The bytes of a multipart/form-data body's one part, the file, and the file's own name ('' when none)."""
    if not _multipart(request):
        raise YangfanError.single("upload.part", f"请以 multipart/form-data 上传文件字段“{FILE_PART}”",
                                  f"send the file as the '{FILE_PART}' part of a multipart/form-data body",
                                  Location(field=FILE_PART))
    # Exactly one part, the file: any other part would be silently ignored.
    async with request.form(max_files=2, max_fields=4) as form:
        part = form.get(FILE_PART)
        if not isinstance(part, UploadFile) or len(form.multi_items()) != 1:
            raise YangfanError.single("upload.part", f"multipart 请求体应只含一个文件字段“{FILE_PART}”",
                                      f"the multipart body must hold exactly one part, the file '{FILE_PART}'",
                                      Location(field=FILE_PART))
        content = await part.read()
    # A browser may send the whole path (C:\\fakepath\\a.csv): the name is its last component.
    return content, PureWindowsPath(part.filename or "").name


async def _upload(request: Request, file_name: str | None) -> tuple[bytes, str]:
    """The import file's bytes and name: the raw body named by ``?file_name=``, or the ``file`` part of a
    multipart/form-data body, named by ``?file_name=`` or else by the part's own file name."""
    if not _multipart(request):
        if file_name is None:
            raise YangfanError.single("upload.file_name", "缺少查询参数 file_name（文件名）",
                                      "the query parameter file_name (the file's name) is missing",
                                      Location(field="file_name"))
        return await request.body(), file_name
    content, part_name = await file_part(request)
    name = file_name or part_name
    if not 0 < len(name) <= MAX_FILE_NAME:
        raise YangfanError.single("upload.file_name",
                                  f"文件名应为 1 到 {MAX_FILE_NAME} 个字符（或用 ?file_name= 给出）",
                                  f"the file's name must have 1 to {MAX_FILE_NAME} characters (or give ?file_name=)",
                                  Location(field="file_name"))
    return content, name
