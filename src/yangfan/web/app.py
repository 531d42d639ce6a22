"""The FastAPI application: pages and the API over one ``Yangfan`` instance."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yangfan.context import Yangfan
from yangfan.settings import REPO_ROOT
from yangfan.web import (
    admin,
    apidocs,
    builds,
    completeness_page,
    evaluation,
    failures,
    pages,
    registry_intake,
    registry_pages,
    reporting_pages,
    returns_review,
)
from yangfan.web.api import account, boundaries, catalog, evaluate, figures, geo, registry, returns, review
from yangfan.web.clients import trusted_networks
from yangfan.web.deps import bounded_integers
from yangfan.web.limits import BodyLimit
from yangfan.web.ratelimit import SlidingWindow
from yangfan.web.responses import ERROR_RESPONSES

HERE = Path(__file__).parent
ECHARTS = REPO_ROOT / "node_modules" / "echarts" / "dist"
API_PREFIX = "/api/v1"
API_ROUTERS = (catalog.router, geo.router, figures.router, builds.router, account.router, boundaries.router,
               review.router, returns.router, registry.router, evaluate.router)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))
#: Bodies larger than the small default (``limits.SMALL_BODY``): only import files.
BODY_LIMITS = {f"{API_PREFIX}/imports": account.MAX_UPLOAD, f"{API_PREFIX}/uploads": account.MAX_UPLOAD,
               f"{API_PREFIX}/uploads/check": account.MAX_UPLOAD, f"{API_PREFIX}/uploads/annotated": account.MAX_UPLOAD,
               # Registry records (名录): their import files, and the PDFs of attachments and applications.
               API_PREFIX + registry.IMPORTS: account.MAX_UPLOAD,
               registry_pages.ATTACHMENTS: registry_pages.UPLOAD_LIMIT,
               registry_intake.APPLICATIONS: registry_pages.UPLOAD_LIMIT}


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
    """Build the app: pages, the /api/v1 routers, body limits, and handlers that answer every failure in
    the platform's error format (``failures``)."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The cockpit is the page most people open first: compute it while nobody waits. Never a daemon thread
        # (even when started from one, as a server in a thread does): the process aborted (exit 134) when the
        # interpreter stopped under a running DuckDB query, so an exit right after start-up waits for it.
        # Applies committed changes in the background (one process of a server builds), then computes the cockpit
        # of the new build before anyone asks for it.
        y.start_builder(after=lambda: pages.warm_up(y))
        threading.Thread(target=pages.warm_up, args=(y,), name="yangfan-warm-up", daemon=False).start()
        yield
        y.stop_builder()

    trusted_networks(tuple(y.settings.trusted_proxies))  # a wrong entry stops the start, not a login
    # FastAPI's own /docs and /redoc load scripts from a CDN that the CSP refuses: ``apidocs`` serves /docs.
    app = FastAPI(lifespan=lifespan, title="Yangfan 扬帆 API", version="1",
                  description="5G规模化应用监测平台 API: indicators, targets, org units, periods, figures, progress.",
                  docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
                  dependencies=[Depends(bounded_integers)])
    app.state.yangfan = y
    app.state.login_limit = SlidingWindow(y.settings.login_attempts_per_minute)
    app.state.download_limit = SlidingWindow(y.settings.downloads_per_minute)  # per clients.client_address
    # Added innermost first: the security headers wrap everything, the 500 handler wraps the body limit.
    app.add_middleware(BodyLimit, limits=BODY_LIMITS)
    app.add_middleware(failures.ServerErrors, api_prefix=API_PREFIX)
    app.add_middleware(builds.PinBuild, yangfan=y)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if ECHARTS.exists():
        app.mount("/assets/echarts", StaticFiles(directory=ECHARTS), name="echarts")
    apidocs.mount_assets(app)
    failures.install(app, API_PREFIX)
    app.include_router(pages.router)
    app.include_router(apidocs.router)
    app.include_router(admin.router)
    app.include_router(returns_review.router)
    app.include_router(completeness_page.router)
    app.include_router(reporting_pages.router)
    app.include_router(registry_intake.router)  # before registry_pages: /registry/new is not /registry/{record_id}
    app.include_router(registry_pages.router)
    app.include_router(evaluation.router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    return app


def app_from_environment() -> FastAPI:
    """The app for the platform configured by the environment: the factory each worker process of
    ``yangfan serve --workers N`` calls."""
    return create_app(Yangfan())
