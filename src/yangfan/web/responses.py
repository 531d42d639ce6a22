"""JSON responses of the API: paging headers, ETags and cache headers, errors in zh and en."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from yangfan.errors import YangfanError
from yangfan.web.deps import Page

#: Published figures change only when the analytics table is rebuilt; clients may reuse them briefly.
CACHE_CONTROL = "public, max-age=60"


def cached_json(request: Request, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """JSON with a strong ETag; a request whose If-None-Match matches gets 304 and no body."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    all_headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **(headers or {})}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type="application/json", headers=all_headers)


def paged_json(request: Request, items: Sequence[Any], page: Page) -> Response:
    """One page of a list, with X-Total-Count and a Link to the next page when there is one."""
    chunk = list(items[page.offset:page.offset + page.limit])
    headers = {"X-Total-Count": str(len(items))}
    if page.offset + page.limit < len(items):
        nxt = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        headers["Link"] = f'<{nxt}>; rel="next"'
    return cached_json(request, chunk, headers)


def _status(exc: YangfanError) -> int:
    codes = [i.code for i in exc.issues]
    if any(c.startswith("permission.") or c == "auth.csrf" for c in codes):
        return 403
    if any(c.startswith("auth.") for c in codes):
        return 401
    return 404 if all(c.endswith(".unknown") for c in codes) else 400


def error_response(exc: YangfanError) -> JSONResponse:
    """The one mapping of domain errors to HTTP: a code and a message in zh and en."""
    first = exc.issues[0]
    return JSONResponse(status_code=_status(exc), content={"error": {
        "code": first.code, "message_zh": first.message_zh, "message_en": first.message_en,
        "issues": [i.as_dict() for i in exc.issues]}})
