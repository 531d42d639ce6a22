"""The FastAPI application: pages and the API over one ``Yangfan`` instance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from yangfan.analytics.query import Query as FigureQuery
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.records import figure_record, progress_record
from yangfan.settings import REPO_ROOT
from yangfan.web.cockpit import cockpit_rows
from yangfan.web.i18n import Lang, texts

HERE = Path(__file__).parent
ECHARTS = REPO_ROOT / "node_modules" / "echarts" / "dist"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders(BaseHTTPMiddleware):
    """CSP without inline scripts or styles, no framing, no sniffing."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


def _lang(value: str | None) -> Lang:
    return "en" if value == "en" else "zh"


def create_app(y: Yangfan) -> FastAPI:
    """Build the app: pages, API and one handler that turns domain errors into JSON."""
    app = FastAPI(title="Yangfan 扬帆 API", version="1")
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if ECHARTS.exists():
        app.mount("/assets/echarts", StaticFiles(directory=ECHARTS), name="echarts")
    templates = Jinja2Templates(directory=HERE / "templates")

    @app.exception_handler(YangfanError)
    async def domain_error(_request: Request, exc: YangfanError) -> JSONResponse:
        first = exc.issues[0]
        return JSONResponse(status_code=400, content={"error": {
            "code": first.code, "message_zh": first.message_zh, "message_en": first.message_en,
            "issues": [i.as_dict() for i in exc.issues]}})

    @app.get("/", response_class=HTMLResponse)
    def cockpit(request: Request, lang: str | None = None) -> HTMLResponse:
        language = _lang(lang)
        rows = cockpit_rows(y, "sailing-2024", language)
        ended = [{"title": p.title_zh if language == "zh" else p.title_en,
                  "rows": cockpit_rows(y, p.code, language)}
                 for p in y.catalog.plans.values() if p.code != "sailing-2024"]
        return templates.TemplateResponse(request, "cockpit.html", {
            "lang": language, "t": texts(language), "rows": rows, "ended": ended,
            "as_of": y.analytics.latest_month().code,
            "trends": {r.code: r.trend for r in rows if r.trend}})

    @app.get("/api/v1/progress")
    def progress(plan: str | None = "sailing-2024",
                 org_unit: Annotated[list[str] | None, Query()] = None) -> list[dict[str, Any]]:
        return [progress_record(p, y.catalog, y.tree) for p in y.progress(plan or None, org_unit or None)]

    @app.get("/api/v1/data-values")
    def data_values(indicator: Annotated[list[str], Query()], org_unit: Annotated[list[str], Query()],
                    period: Annotated[list[str], Query()], disaggregation: str = "") -> list[dict[str, Any]]:
        figures = y.query(FigureQuery.parse(indicator, org_unit, period, disaggregation))
        return [figure_record(f, y.tree) for f in figures]

    return app
