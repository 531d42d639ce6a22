"""JSON responses of the API: paging headers, ETags and cache headers, errors in zh and en."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from yangfan.errors import YangfanError
from yangfan.web.builds import pinned_build
from yangfan.web.deps import Page

#: Published figures change only when the analytics table is rebuilt; clients may reuse them briefly.
CACHE_CONTROL = "public, max-age=60"
#: Answers that depend on who asks: only the client may keep them.
PRIVATE = "private, no-cache"


@dataclass(frozen=True, slots=True)
class Encoded:
    """A response body encoded once, with its strong ETag and the headers that go with it."""

    body: bytes
    etag: str
    headers: tuple[tuple[str, str], ...] = ()


def encode(payload: Any, headers: dict[str, str] | None = None) -> Encoded:
    """JSON bytes (UTF-8, compact) and their ETag."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return encoded_bytes(body, headers)


def encoded_bytes(body: bytes, headers: dict[str, str] | None = None) -> Encoded:
    """Bytes already encoded (a GeoJSON file) and their ETag."""
    return Encoded(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', tuple((headers or {}).items()))


def respond(request: Request, enc: Encoded, headers: dict[str, str] | None = None,
            media_type: str = "application/json") -> Response:
    """The body, or 304 and no body when the client's If-None-Match names its ETag.

    The ETag names the analytics build the request answered from besides the body's digest: it changes with
    every new build, so a client revalidating after a build always gets the build's answer."""
    build = pinned_build(request)
    etag = f'"{build.id}-{enc.etag[1:-1]}"' if build is not None and build.id else enc.etag
    # Vary: what a logged-in user is shown may differ from what the public is shown.
    all_headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization, Cookie",
                   **dict(enc.headers), **(headers or {})}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=all_headers)
    return Response(enc.body, media_type=media_type, headers=all_headers)


def cached_json(request: Request, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """JSON with a strong ETag; a request whose If-None-Match matches gets 304 and no body."""
    return respond(request, encode(payload), headers)


def encode_page(items: Sequence[Any], page: Page) -> Encoded:
    """One page of a list, encoded, with X-Total-Count."""
    return encode(list(items[page.offset:page.offset + page.limit]), {"X-Total-Count": str(len(items))})


def respond_page(request: Request, enc: Encoded, page: Page, private: bool = False) -> Response:
    """An encoded page, with a Link to the next page when there is one; ``private`` keeps it out of
    shared caches (anything that may hold unpublished figures)."""
    total = int(dict(enc.headers)["X-Total-Count"])
    headers = {"Cache-Control": PRIVATE} if private else {}
    if page.offset + page.limit < total:
        nxt = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        headers["Link"] = f'<{nxt}>; rel="next"'
    return respond(request, enc, headers)


def paged_json(request: Request, items: Sequence[Any], page: Page, private: bool = False) -> Response:
    """One page of a list, with X-Total-Count and a Link to the next page when there is one."""
    return respond_page(request, encode_page(items, page), page, private)


class IssueOut(BaseModel):
    """One problem of an error, where it sits, in zh and en (``errors.Issue.as_dict``)."""

    level: str
    code: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    entry: str | None = None
    message_zh: str
    message_en: str


class ErrorBody(BaseModel):
    """The first problem's code and messages, and every problem."""

    code: str
    message_zh: str
    message_en: str
    issues: list[IssueOut]


class ErrorOut(BaseModel):
    """Every error the API answers, whatever its status: ``{"error": {...}}``."""

    error: ErrorBody


#: Declared on every API route, so that the OpenAPI document describes the errors clients really get.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid parameters or body / 请求参数无效"},
    "4XX": {"model": ErrorOut, "description": "Refused: unknown, not logged in, not allowed, conflict, too large, "
                                              "too many requests / 请求被拒绝"},
    "5XX": {"model": ErrorOut, "description": "Unexpected server error / 服务器内部错误"},
}


def _status(exc: YangfanError) -> int:
    codes = [i.code for i in exc.issues]
    if any(c.endswith(".rate_limited") for c in codes):
        return 429
    if any(c.startswith("permission.") or c == "auth.csrf" for c in codes):
        return 403
    if any(c.startswith("auth.") for c in codes):
        return 401
    if any(c.endswith(".too_large") for c in codes):
        return 413
    if any(c.endswith(".conflict") for c in codes):  # someone else changed it first: reload and retry
        return 409
    return 404 if all(c.endswith(".unknown") for c in codes) else 400


def error_body(exc: YangfanError, message_zh: str | None = None, message_en: str | None = None) -> dict[str, Any]:
    """The error JSON: the first issue's code, a message (the first issue's unless given) and every issue."""
    first = exc.issues[0]
    return {"error": {"code": first.code, "message_zh": message_zh or first.message_zh,
                      "message_en": message_en or first.message_en, "issues": [i.as_dict() for i in exc.issues]}}


def error_response(exc: YangfanError, status: int | None = None) -> JSONResponse:
    """The one mapping of domain errors to HTTP: a code and a message in zh and en."""
    return JSONResponse(status_code=status or _status(exc), content=error_body(exc))
