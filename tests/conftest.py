"""Session fixtures: a real PostgreSQL server, a store URL on each database, Chromium for browser tests.

No application import at module level, so the fixtures load whatever state src/ is in; the `demo` fixture
imports the application only when a test asks for it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.postgres_server import PostgresServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session, removed afterwards."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], ids=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store: the test runs once on SQLite and once on its own PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.sqlite"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"test_{os.getpid()}_{next(_db_numbers)}")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The platform with the real published history, built once per session."""
    from tests.builders import demo_platform

    return demo_platform(Path(tmp_path_factory.mktemp("demo")), registry=True)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where browser tests leave their screenshots for people to look at (ignored by git)."""
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} not found; install with: scripts/setup.sh test")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh zh-CN page, 1440×900, in its own browser context."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()
