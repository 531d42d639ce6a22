"""The FastAPI application: pages and the API over one ``Yangfan`` instance."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.settings import REPO_ROOT
from yangfan.web import pages
from yangfan.web.api import account, catalog, figures, geo
from yangfan.web.responses import error_response

HERE = Path(__file__).parent
ECHARTS = REPO_ROOT / "node_modules" / "echarts" / "dist"
API_PREFIX = "/api/v1"
API_ROUTERS = (catalog.router, geo.router, figures.router, account.router)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders(BaseHTTPMiddleware):
    """CSP without inline scripts or styles, no framing, no sniffing; HSTS behind TLS."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


def create_app(y: Yangfan) -> FastAPI:
    """Build the app: pages, the /api/v1 routers and one handler that turns domain errors into JSON."""
    app = FastAPI(title="Yangfan 扬帆 API", version="1",
                  description="5G规模化应用监测平台 API: indicators, targets, org units, periods, figures, progress.")
    app.state.yangfan = y
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if ECHARTS.exists():
        app.mount("/assets/echarts", StaticFiles(directory=ECHARTS), name="echarts")

    @app.exception_handler(YangfanError)
    async def domain_error(_request: Request, exc: YangfanError) -> JSONResponse:
        return error_response(exc)

    app.include_router(pages.router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    return app
