"""Server-rendered pages (zh-CN first, English with ``?lang=en``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from yangfan.web.cockpit import cockpit_rows
from yangfan.web.deps import YangfanDep
from yangfan.web.i18n import Lang, texts

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _lang(value: str | None) -> Lang:
    return "en" if value == "en" else "zh"


@router.get("/", response_class=HTMLResponse)
def cockpit(request: Request, y: YangfanDep, lang: str | None = None) -> HTMLResponse:
    """驾驶舱: every target of the upgrade plan, and how the earlier plans ended."""
    language = _lang(lang)
    rows = cockpit_rows(y, "sailing-2024", language)
    ended = [{"title": p.title_zh if language == "zh" else p.title_en, "rows": cockpit_rows(y, p.code, language)}
             for p in y.catalog.plans.values() if p.code != "sailing-2024"]
    return templates.TemplateResponse(request, "cockpit.html", {
        "lang": language, "t": texts(language), "rows": rows, "ended": ended,
        "as_of": y.analytics.latest_month().code, "trends": {r.code: r.trend for r in rows if r.trend}})
