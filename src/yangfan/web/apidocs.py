"""The API documentation page (/docs): Swagger UI served by the platform itself, under the platform's CSP.

FastAPI's own /docs loads Swagger UI from a CDN with an inline script; the CSP (script-src 'self',
style-src 'self') refuses both, and offline installations reach no CDN. Here the page, the npm package
``swagger-ui-dist`` and the start-up script all come from the platform, so the page needs no CSP exception.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from yangfan.settings import REPO_ROOT

SWAGGER_UI = REPO_ROOT / "node_modules" / "swagger-ui-dist"
ASSETS = "/assets/swagger-ui"
TITLE = "扬帆 API 文档 / Yangfan API"
# The placeholder stays only when Swagger UI's files are missing (set-up not run): it names the fix and
# the machine-readable description, which is served either way.
PAGE = f"""<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{TITLE}</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui">
    <p>正在加载 API 文档… / Loading the API documentation…</p>
    <p>若本页一直空白，请运行 <code>scripts/setup.sh</code> 安装 Swagger UI；接口描述见
       / If this page stays empty, run <code>scripts/setup.sh</code> to install Swagger UI; the API description is
       at <a href="/openapi.json">/openapi.json</a>.</p>
  </div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/static/apidocs.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI over /openapi.json, bilingual title, no inline script or style."""
    return HTMLResponse(PAGE)


def mount_assets(app: FastAPI) -> None:
    """Serve the ``swagger-ui-dist`` npm package at /assets/swagger-ui, when set-up has installed it."""
    if SWAGGER_UI.exists():
        app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
