"""The API documentation page (/docs): Swagger UI from the platform itself, offline and under the CSP.

The screenshot lands in test-artifacts/apidocs.png for people to look at.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from yangfan.web.apidocs import TITLE
from yangfan.web.app import CSP


class _Page(HTMLParser):
    """What a page loads, and whatever it carries inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "style" or "style" in a or any(name.startswith("on") for name in a):
            self.inline.append(tag)
        if tag == "script" and not a.get("src"):
            self.inline.append("script")
        self.urls += [url for name in ("src", "href") if (url := a.get(name))]


def test_docs_loads_only_the_platforms_own_files(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and response.headers["content-security-policy"] == CSP
    parsed = _Page()
    parsed.feed(response.text)
    assert parsed.inline == []  # the CSP would refuse an inline script or style
    assert parsed.urls and all(url.startswith("/") and not url.startswith("//") for url in parsed.urls)
    for url in parsed.urls:
        assert client.get(url).status_code == 200, url
    assert f"<title>{TITLE}</title>" in response.text


def test_the_cdn_pages_of_fastapi_are_gone(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404
    assert "/docs" not in client.get("/openapi.json").json()["paths"]


# Collects CSP violations from the page itself, besides the console's messages.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation",
  e => (window.cspViolations = window.cspViolations || []).push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_offline(page: Any, live_url: str, artifacts_dir: Path) -> None:
    problems: list[str] = []
    # Chromium words a CSP refusal "Refused to …" or "… violates the following Content Security Policy …".
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" or "Refused to" in m.text
            or "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.add_init_script(CSP_LISTENER)
    local = urlsplit(live_url).netloc
    foreign: list[str] = []

    def offline(route: Any) -> None:  # as on an installation without internet: only the platform answers
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == local:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    response = page.goto(live_url + "/docs")
    assert response.headers["content-security-policy"] == CSP  # the platform's policy, not a weaker one
    assert page.title() == TITLE
    summary = page.locator('.opblock-summary-path[data-path="/api/v1/indicators"]')
    summary.wait_for()
    assert page.locator(".opblock").count() > 10
    assert page.evaluate("window.ui.getConfigs().validatorUrl") == "none"  # no badge from swagger.io
    # Open the operation and run it: parameters, the response and its highlighted body render too.
    operation = page.locator(".opblock", has=summary)
    summary.click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "bs_5g" in operation.locator(".live-responses-table .highlight-code").first.inner_text()
    operation.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "apidocs.png"), full_page=True)
    assert page.evaluate("window.cspViolations || []") == []
    assert problems == [] and foreign == []
