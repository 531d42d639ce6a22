"""How the web answers a failure: domain errors, invalid requests, unknown routes and unexpected exceptions.

Every answer is the platform's error JSON on the API (``responses.error_body``) and the error page elsewhere,
in Chinese and English; no stack trace ever reaches the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yangfan.errors import Issue, Location, YangfanError
from yangfan.web import pages
from yangfan.web.responses import error_body, error_response

log = logging.getLogger("yangfan.web")

#: pydantic's error types → why the value was refused; {placeholders} come from the error's context.
REASONS: dict[str, tuple[str, str]] = {
    "missing": ("缺失", "is required"),
    "less_than_equal": ("应不大于 {le}", "must be at most {le}"),
    "less_than": ("应小于 {lt}", "must be less than {lt}"),
    "greater_than_equal": ("应不小于 {ge}", "must be at least {ge}"),
    "greater_than": ("应大于 {gt}", "must be greater than {gt}"),
    "integer_too_large": ("超出范围（应在 ±{limit} 之内）", "is out of range (-{limit} to {limit})"),
    "int_parsing": ("应为整数", "must be an integer"),
    "int_parsing_size": ("应为整数，且位数不能过多", "must be an integer of reasonable size"),
    "int_type": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数", "must be an integer"),
    "float_parsing": ("应为数值", "must be a number"),
    "float_type": ("应为数值", "must be a number"),
    "finite_number": ("应为有限数值", "must be a finite number"),
    "bool_parsing": ("应为 true 或 false", "must be true or false"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "string_type": ("应为文本", "must be text"),
    "string_too_short": ("至少需要 {min_length} 个字符", "needs {min_length} or more characters"),
    "string_too_long": ("至多 {max_length} 个字符", "takes {max_length} characters at most"),
    "string_pattern_mismatch": ("格式不符（应匹配 {pattern}）", "must match {pattern}"),
    "too_short": ("至少需要 {min_length} 项", "needs {min_length} or more items"),
    "too_long": ("至多 {max_length} 项", "takes {max_length} items at most"),
    "list_type": ("应为列表", "must be a list"),
    "dict_type": ("应为 JSON 对象", "must be a JSON object"),
    "model_type": ("应为 JSON 对象", "must be a JSON object"),
    "model_attributes_type": ("应为 JSON 对象", "must be a JSON object"),
    "literal_error": ("应为以下之一：{expected}", "must be one of {expected}"),
    "enum": ("应为以下之一：{expected}", "must be one of {expected}"),
    "json_invalid": ("不是有效的 JSON", "is not valid JSON"),
    "extra_forbidden": ("不被接受", "is not accepted"),
}
#: Where a refused value sat (pydantic's first ``loc`` element).
PLACES = {"query": ("查询参数", "query parameter"), "path": ("路径参数", "path parameter"),
          "header": ("请求头", "header"), "cookie": ("Cookie", "cookie"), "body": ("请求体字段", "body field")}
#: Problems named in the summary message; the issues list them all.
SUMMARY_PROBLEMS = 5
#: Errors raised by Starlette itself (an unknown path, a method the route does not take, an unreadable body).
HTTP_ISSUES = {
    400: ("request.unreadable", "无法读取请求，请检查请求体的格式",
          "the request could not be read: check the body's format"),
    404: ("route.unknown", "没有这个页面或接口", "no such page or API route"),
    405: ("method.not_allowed", "该地址不接受这种请求方法", "this address does not accept that request method"),
}
SERVER_ERROR = ("server.error", "服务器内部错误，请稍后再试；若问题持续，请联系管理员",
                "unexpected server error: try again later, and tell the administrator if it persists")
#: The last resort when even the error page cannot be drawn.
PLAIN_500 = ("<!doctype html><meta charset=utf-8><title>500</title>"
             f"<p>{SERVER_ERROR[1]}</p><p>{SERVER_ERROR[2]}</p>")


def _name(parts: Sequence[Any]) -> str:
    """A location inside a parameter or body as a reader writes it: ``ids[0]``, ``filter.actor``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text[:80]  # names can come from the client (extra keys): never echo much of them


def validation_issue(error: Mapping[str, Any]) -> Issue:
    """One of pydantic's errors as an issue naming the parameter or field and why it was refused.

    The refused input itself is never echoed: it may be huge, or not JSON at all (a float overflowing to inf).
    """
    loc = tuple(error.get("loc", ()))
    kind = str(loc[0]) if loc else "body"
    place_zh, place_en = PLACES.get(kind, ("请求", "request"))
    name = _name(loc[1:]) if error.get("type") != "json_invalid" else ""
    ctx = {k: str(v)[:100] for k, v in (error.get("ctx") or {}).items()}
    zh, en = REASONS.get(str(error.get("type")), ("取值无效", "is invalid"))
    try:
        reason_zh, reason_en = zh.format(**ctx), en.format(**ctx)
    except (KeyError, IndexError):  # a context without the expected key: the reason without its detail
        reason_zh, reason_en = zh.split("{")[0].rstrip("（ "), en.split("{")[0].rstrip("( ")
    if name:
        return Issue("request.invalid", f"{place_zh}“{name}”{reason_zh}", f"{place_en} '{name}' {reason_en}",
                     Location(field=name, entry=kind))
    return Issue("request.invalid", f"请求体{reason_zh}", f"the request body {reason_en}", Location(entry=kind))


def validation_error(errors: Sequence[Any]) -> tuple[YangfanError, str, str]:
    """Every refused value as an issue, and a summary in zh and en naming them."""
    issues = [validation_issue(e) for e in errors] or [Issue("request.invalid", "请求无效", "invalid request")]
    shown = issues[:SUMMARY_PROBLEMS]
    more_zh = f"；等 {len(issues)} 处问题" if len(issues) > len(shown) else ""
    more_en = f"; {len(issues)} problems in all" if len(issues) > len(shown) else ""
    return (YangfanError(issues), "请求无效：" + "；".join(i.message_zh for i in shown) + more_zh,
            "invalid request: " + "; ".join(i.message_en for i in shown) + more_en)


def _answer(request: Request, api_prefix: str, exc: YangfanError, status: int,
            summary: tuple[str, str] | None = None) -> Response:
    """JSON on the API, the error page (in the page's language) elsewhere."""
    zh, en = summary or (None, None)
    if request.url.path.startswith(api_prefix):
        return JSONResponse(status_code=status, content=error_body(exc, zh, en))
    shown = YangfanError.single(exc.issues[0].code, zh, en) if zh and en else exc
    return pages.error_page(request, shown, status)


def install(app: FastAPI, api_prefix: str) -> None:
    """Register the handlers: domain errors, invalid requests and Starlette's own HTTP errors."""

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, YangfanError)
        response = error_response(exc)
        if request.url.path.startswith(api_prefix):
            return response
        return pages.error_page(request, exc, response.status_code)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        error, zh, en = validation_error(exc.errors())
        return _answer(request, api_prefix, error, 422, (zh, en))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code, zh, en = HTTP_ISSUES.get(exc.status_code, (
            "request.refused", f"请求未能完成（HTTP {exc.status_code}）",
            f"the request could not be completed (HTTP {exc.status_code})"))
        response = _answer(request, api_prefix, YangfanError.single(code, zh, en), exc.status_code)
        response.headers.update(exc.headers or {})  # Allow on a 405
        return response

    app.add_exception_handler(YangfanError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)


def server_error(request: Request, api_prefix: str) -> Response:
    """A 500 in zh and en: JSON on the API, the error page elsewhere (or a plain page if even that fails)."""
    exc = YangfanError.single(*SERVER_ERROR)
    if request.url.path.startswith(api_prefix):
        return error_response(exc, 500)
    try:
        return pages.error_page(request, exc, 500)
    except Exception:  # the page itself may be what is broken
        return HTMLResponse(PLAIN_500, status_code=500)


class ServerErrors:
    """Any exception nobody handled becomes a 500 in zh and en; the traceback goes to the log only.

    A plain ASGI middleware inside the security headers (Starlette's own last resort sits outside every
    middleware, so its answer would lack them). Once a response has started nothing can be sent: re-raised.
    """

    def __init__(self, app: ASGIApp, api_prefix: str) -> None:
        self.app, self.api_prefix = app, api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await server_error(Request(scope), self.api_prefix)(scope, receive, send)
