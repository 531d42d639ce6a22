"""Which analytics build answers: every request reads one build from start to end, and says which.

A plain ASGI middleware pins the newest build when a request arrives (``Analytics.pinned``): however many builds
land while a page is computed, all its figures come from the same one, and the response names it in
``X-Yangfan-Build``. ``GET /api/v1/build`` says which build is serving, as of when, and how many committed changes
it does not include yet.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yangfan.analytics.query import Build
from yangfan.context import Yangfan
from yangfan.web.deps import YangfanDep

HEADER = "X-Yangfan-Build"
#: Files that read no figures: not worth a look at the build.
_STATIC = ("/static/", "/assets/")
router = APIRouter(tags=["figures"])


class PinBuild:
    """Answer each request from one analytics build, and name it in the response."""

    def __init__(self, app: ASGIApp, yangfan: Yangfan) -> None:
        self.app, self.y = app, yangfan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_STATIC):
            await self.app(scope, receive, send)
            return
        with self.y.analytics.pinned() as build:
            scope.setdefault("state", {})["build"] = build

            async def send_with_build(message: Message) -> None:
                if message["type"] == "http.response.start" and build is not None:
                    MutableHeaders(scope=message)[HEADER] = build.id
                await send(message)

            await self.app(scope, receive, send_with_build)


def pinned_build(request: Request) -> Build | None:
    """The build this request answers from (None before the first build)."""
    return getattr(request.state, "build", None)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@router.get("/build", summary="Which analytics build answers, as of when, and what it does not include yet / 数据版本")
def build_status(request: Request, y: YangfanDep) -> dict[str, Any]:
    """``build`` changes with every new snapshot; ``as_of`` is when the newest change it includes was committed;
    ``pending`` counts the changes committed to the store that it does not include yet."""
    build = pinned_build(request)
    builder = y.builder
    return {"build": build.id if build else None, "as_of": _iso(build.as_of or build.built_at) if build else None,
            "built_at": _iso(build.built_at) if build else None, "kind": build.kind if build else None,
            "applied_change": build.applied_change if build else 0, "pending": y.pending(),
            "builder": "leader" if builder and builder.leader else ("follower" if builder else "none")}
