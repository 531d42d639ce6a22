"""The FastAPI application: pages and the API over one ``Yangfan`` instance."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.settings import REPO_ROOT
from yangfan.web import pages
from yangfan.web.api import account, boundaries, catalog, figures, geo, review
from yangfan.web.ratelimit import SlidingWindow
from yangfan.web.responses import error_response

HERE = Path(__file__).parent
ECHARTS = REPO_ROOT / "node_modules" / "echarts" / "dist"
API_PREFIX = "/api/v1"
API_ROUTERS = (catalog.router, geo.router, figures.router, account.router, boundaries.router, review.router)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))


class SecurityHeaders:
    """CSP without inline scripts or styles, no framing, no sniffing; HSTS behind TLS.

    A plain ASGI middleware: it only adds headers to the response start, without the per-request
    cost of Starlette's BaseHTTPMiddleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        tls = scope.get("scheme") == "https" or headers.get("x-forwarded-proto") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    out[name] = value
                if tls:
                    out["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(y: Yangfan) -> FastAPI:
    """Build the app: pages, the /api/v1 routers and one handler that turns domain errors into JSON."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The cockpit is the page most people open first: compute it while nobody waits.
        threading.Thread(target=pages.warm_up, args=(y,), daemon=True).start()
        yield

    app = FastAPI(lifespan=lifespan, title="Yangfan 扬帆 API", version="1",
                  description="5G规模化应用监测平台 API: indicators, targets, org units, periods, figures, progress.")
    app.state.yangfan = y
    app.state.login_limit = SlidingWindow(y.settings.login_attempts_per_minute)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if ECHARTS.exists():
        app.mount("/assets/echarts", StaticFiles(directory=ECHARTS), name="echarts")

    @app.exception_handler(YangfanError)
    async def domain_error(request: Request, exc: YangfanError) -> Response:
        response = error_response(exc)
        if request.url.path.startswith(API_PREFIX):
            return response
        return pages.error_page(request, exc, response.status_code)

    app.include_router(pages.router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    return app
