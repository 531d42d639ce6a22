"""The test fixtures are real: a PostgreSQL server, a store URL per database, Debian's Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy

from tests.postgres_server import PostgresServer

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.mark.postgres
def test_postgres_server_is_real(postgres_server: PostgresServer) -> None:
    engine = sqlalchemy.create_engine(postgres_server.url())
    try:
        with engine.connect() as conn:
            version = conn.execute(sqlalchemy.text("SELECT version()")).scalar_one()
            encoding = conn.execute(sqlalchemy.text("SHOW server_encoding")).scalar_one()
    finally:
        engine.dispose()
    assert "PostgreSQL" in version
    assert encoding == "UTF8"


@pytest.mark.postgres
def test_created_database_is_empty_and_separate(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("infra_separate")
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT current_database()")).scalar_one() == "infra_separate"
            tables = conn.execute(sqlalchemy.text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")).scalar_one()
    finally:
        engine.dispose()
    assert tables == 0


def test_store_url_connects(store_url: str) -> None:
    engine = sqlalchemy.create_engine(store_url)
    try:
        with engine.begin() as conn:
            assert conn.execute(sqlalchemy.text("SELECT 1")).scalar_one() == 1
            conn.execute(sqlalchemy.text("CREATE TABLE probe (name TEXT)"))
            conn.execute(sqlalchemy.text("INSERT INTO probe VALUES ('扬帆')"))
            assert conn.execute(sqlalchemy.text("SELECT name FROM probe")).scalar_one() == "扬帆"
    finally:
        engine.dispose()


@pytest.mark.browser
def test_chromium_renders_chinese(page: Page, artifacts_dir: Path) -> None:
    html = '<!doctype html><meta charset="utf-8"><title>扬帆</title><h1 style="font-size:64px">扬帆 5G</h1>'
    page.goto("data:text/html;charset=utf-8," + html)
    assert page.title() == "扬帆"
    assert "扬帆" in page.inner_text("h1")
    png = page.screenshot(path=str(artifacts_dir / "infrastructure-chromium.png"))
    assert png.startswith(b"\x89PNG")
