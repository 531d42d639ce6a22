"""The web app on the demo platform: in-process client and a live server for the browser."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from yangfan.context import Yangfan
from yangfan.web.app import create_app


@pytest.fixture(scope="session")
def app(demo: Yangfan) -> FastAPI:
    return create_app(demo)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn (lifespan included: its analytics builder runs) on a free port of 127.0.0.1,
    in a background thread."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_url(app: FastAPI) -> Iterator[str]:
    """The demo app, served."""
    with serving(app) as url:
        yield url


PASSWORD = "pages test password"


@pytest.fixture(scope="session")
def page_users(demo: Yangfan) -> dict[str, str]:
    """An administrator and a provincial reporter (Guangdong) in the shared demo store."""
    from yangfan.access import accounts
    from yangfan.access.roles import Role
    from yangfan.store.db import session_scope

    with session_scope(demo.engine) as s:
        for name, role, unit in (("pages-admin", Role.administrator, None),
                                 ("pages-gd", Role.provincial_reporter, "440000")):
            accounts.create_user(s, "test", name, PASSWORD)
            accounts.grant(s, "test", name, role, unit, demo.tree)
    return {"admin": "pages-admin", "reporter": "pages-gd"}


@pytest.fixture(scope="session")
def registry_users(demo: Yangfan, page_users: dict[str, str]) -> dict[str, str]:
    """The page users, and China Mobile's reporter and a Guangdong reviewer, for the registry pages (名录)."""
    from yangfan.access import accounts
    from yangfan.access.roles import Role
    from yangfan.store.db import session_scope

    with session_scope(demo.engine) as s:
        for name, role, unit in (("pages-cmcc", Role.operator_reporter, "cmcc"),
                                 ("pages-gd-reviewer", Role.provincial_reviewer, "440000")):
            accounts.create_user(s, "test", name, PASSWORD)
            accounts.grant(s, "test", name, role, unit, demo.tree)
    return {**page_users, "operator": "pages-cmcc", "reviewer": "pages-gd-reviewer"}
