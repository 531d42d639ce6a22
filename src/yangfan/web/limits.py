"""Limits on request bodies, enforced before the body is read: a 200 MB login is refused, not parsed."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yangfan.errors import YangfanError
from yangfan.web.responses import error_response

#: Every body but an upload is a small JSON document: credentials, or a review of at most 1,000 ids (20 KB
#: even with 19-digit ids) and a 500-character note.
SMALL_BODY = 64 * 1024


class _TooLarge(Exception):
    """Raised into the app's read of a chunked body once the limit is passed; the 413 is already sent."""


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n / 2**10:g} KB"


def _declared_above(scope: Scope, limit: int) -> bool:
    """True when the Content-Length header announces more than ``limit`` bytes."""
    declared = Headers(scope=scope).get("content-length", "")
    # More digits than the limit has is too large whatever they say: no need to parse a huge number.
    return declared.isdigit() and (len(declared) > len(str(limit)) or int(declared) > limit)


def too_large(limit: int) -> YangfanError:
    """The refusal of a body above ``limit`` bytes (413)."""
    return YangfanError.single("request.too_large", f"请求体过大（此接口上限 {_size(limit)}）",
                               f"request body too large ({_size(limit)} at most here)")


class _Guard:
    """One request's body count: ``receive`` counts and interrupts, ``send`` is silent once refused."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        self.scope, self._receive, self._send, self.limit = scope, receive, send, limit
        self.received, self.started, self.refused = 0, False, False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                if not self.refused:
                    self.refused = True
                    if not self.started:  # an app that answers while reading is cut off instead
                        await error_response(too_large(self.limit))(self.scope, self._receive, self._send)
                raise _TooLarge
        return message

    async def send(self, message: Message) -> None:
        if not self.refused:  # whatever the app answers to the interrupted read, the 413 has been sent
            self.started = self.started or message["type"] == "http.response.start"
            await self._send(message)


class BodyLimit:
    """413 for a body above its route's limit: at once when Content-Length says so, and as soon as a chunked
    body passes the limit, without reading the rest.

    A plain ASGI middleware (like ``SecurityHeaders``): it wraps ``receive`` and counts, nothing else.
    Limits are per exact path; any other path gets ``default``.
    """

    def __init__(self, app: ASGIApp, limits: Mapping[str, int], default: int = SMALL_BODY) -> None:
        self.app, self.limits, self.default = app, dict(limits), default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        if _declared_above(scope, limit):
            await error_response(too_large(limit))(scope, receive, send)
            return
        guard = _Guard(scope, receive, send, limit)
        try:
            await self.app(scope, guard.receive, guard.send)
        except _TooLarge:  # raised only once the body is refused: nothing more to say
            pass
