"""The analytics follow the store in the background: approvals return at once, the builder applies them,
every response names its build, and a builder killed mid-build leaves the platform serving and catches up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.builders import platform
from tests.web.test_auth import PASSWORD, csv
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.analytics.query import Query
from yangfan.collect.importer import import_content
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow
from yangfan.web.app import create_app

HEADER = "indicator,org_unit,period,value,unit,disaggregation\n"


@pytest.fixture
def y(tmp_path: Path) -> Yangfan:
    p = platform(tmp_path)
    import_content(p.engine, (HEADER + "bs_5g,100000,2025-05,400,万个,\nbs_5g,440000,2025-05,30,万个,\n").encode(),
                   "may.csv", p.catalog, p.tree, status="published")
    with session_scope(p.engine) as s:
        for name, role, unit in (("admin", Role.administrator, None), ("gd", Role.provincial_reporter, "440000")):
            accounts.create_user(s, "test", name, PASSWORD)
            accounts.grant(s, "test", name, role, unit, p.tree)
    p.rebuild()
    return p


def _value(y: Yangfan, indicator: str, unit: str, period: str) -> float | None:
    return y.query(Query.parse([indicator], [unit], [period]))[0].value


def _login(c: TestClient, name: str) -> str:
    r = c.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def _wait(c: TestClient, seconds: float = 30) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + seconds
    while True:
        status = c.get("/api/v1/build").json()
        if status["pending"] == 0 or time.monotonic() > deadline:
            return status  # type: ignore[no-any-return]
        time.sleep(0.05)


def test_an_approval_returns_at_once_and_the_builder_applies_it(y: Yangfan) -> None:
    # Two platform instances over one store and one analytics file, as two server processes are.
    with TestClient(create_app(y)) as admin, TestClient(create_app(Yangfan(y.settings))) as gd:  # builders run
        before = admin.get("/api/v1/build").json()
        assert before["pending"] == 0 and before["build"] and before["as_of"]
        assert before["builder"] in ("leader", "follower")
        r = gd.post("/api/v1/imports", params={"file_name": "jun.csv"}, content=csv("bs_5g,440000,2025-06,31,万个,"),
                    headers={"X-CSRF-Token": _login(gd, "gd")})
        assert r.status_code == 200 and r.json()["status"] == "submitted"
        with session_scope(y.engine) as s:
            ids = [i for (i,) in s.query(DataValueRow.id).filter_by(status="submitted")]
        csrf = _login(admin, "admin")
        approved = admin.post("/api/v1/reviews", json={"ids": ids, "action": "approve"},
                              headers={"X-CSRF-Token": csrf})
        assert approved.status_code == 200
        after = _wait(admin)
        assert after["pending"] == 0 and after["build"] != before["build"] and after["kind"] == "incremental"
        figure = admin.get("/api/v1/data-values", params={"indicator": "bs_5g", "org_unit": "440000",
                                                          "period": "2025-06"})
        assert figure.json()[0]["value"] == 310_000
        assert figure.headers["X-Yangfan-Build"] == after["build"]
        # The ETag changes with the build, and a client holding the current one gets 304.
        again = admin.get("/api/v1/data-values", params={"indicator": "bs_5g", "org_unit": "440000",
                                                         "period": "2025-06"},
                          headers={"If-None-Match": figure.headers["ETag"]})
        assert again.status_code == 304
        assert after["build"] in figure.headers["ETag"]
        # Exactly one of the two builders builds.
        leaders = [a.app.state.yangfan.builder.leader for a in (admin, gd)]  # type: ignore[attr-defined]
        assert leaders.count(True) == 1


def test_every_response_names_the_build_it_answered_from(y: Yangfan) -> None:
    c = TestClient(create_app(y))
    build = y.analytics.build.id
    for path in ("/", "/indicators/bs_5g", "/api/v1/progress?plan=sailing-2024", "/api/v1/periods"):
        r = c.get(path)
        assert r.status_code == 200 and r.headers["X-Yangfan-Build"] == build, path
    assert f"<code>{build}</code>" in c.get("/").text  # the page footer says which build, and as of when


def test_a_page_reads_one_build_however_many_land_meanwhile(y: Yangfan) -> None:
    with y.analytics.pinned() as first:
        import_content(y.engine, (HEADER + "bs_5g,100000,2025-05,500,万个,\n").encode(), "rev.csv", y.catalog, y.tree,
                       status="published")
        y.follow()
        assert y.analytics.build == first  # the pinned reader still answers from its build
        assert _value(y, "bs_5g", "100000", "2025-05") == 4_000_000
    assert y.analytics.build != first
    assert _value(y, "bs_5g", "100000", "2025-05") == 5_000_000


KILL_SCRIPT = """
import sys, time
from pathlib import Path
from yangfan.context import Yangfan
from yangfan.settings import Settings
import yangfan.analytics.cube as cube
real = cube.build_rows
def slow(*a, **k):
    real(*a, **k)
    print("building", flush=True)
    time.sleep(60)  # killed here: the new snapshot is half written
cube.build_rows = slow
y = Yangfan(Settings(data_dir=Path(sys.argv[1])))
y.start_builder()
time.sleep(120)
"""


def test_a_builder_killed_mid_build_leaves_the_platform_serving_and_catches_up(y: Yangfan, tmp_path: Path) -> None:
    old = y.analytics.build
    import_content(y.engine, (HEADER + "bs_5g,100000,2025-06,410,万个,\n").encode(), "jun.csv", y.catalog, y.tree,
                   status="published")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(y.settings.data_dir)], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "building"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # The last complete snapshot still serves; the change is still pending in the store.
    assert y.analytics.build == old and y.pending() == 1
    assert _value(y, "bs_5g", "100000", "2025-06") is None
    # The next start applies it (here: this process's builder).
    y.start_builder()
    try:
        deadline = time.monotonic() + 30
        while y.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        y.stop_builder()
    assert _value(y, "bs_5g", "100000", "2025-06") == 4_100_000
    assert not [p for p in (y.settings.analytics_path.parent / "snapshots").iterdir()
                if p.suffix in (".building", ".patching")]


def test_serve_with_several_workers_has_one_builder(y: Yangfan, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "YANGFAN_DATA_DIR": str(y.settings.data_dir), "YANGFAN_BUILD_POLL_SECONDS": "0.2"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "yangfan"), "serve", "--port", str(port),
                             "--workers", "2"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/build").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        # A change committed by another process (here: this one) reaches the analytics through the leader.
        import_content(y.engine, (HEADER + "bs_5g,100000,2025-07,420,万个,\n").encode(), "jul.csv", y.catalog,
                       y.tree, status="published")
        seen: set[str] = set()
        status: dict = {}  # type: ignore[type-arg]
        while time.monotonic() < deadline:
            status = httpx.get(f"{base}/api/v1/build").json()
            seen.add(status["builder"])
            if status["pending"] == 0 and seen == {"leader", "follower"}:
                break
            time.sleep(0.1)
        assert status["pending"] == 0 and seen == {"leader", "follower"}, (status, seen)
        value = httpx.get(f"{base}/api/v1/data-values", params={"indicator": "bs_5g", "org_unit": "100000",
                                                                 "period": "2025-07"}).json()[0]["value"]
        assert value == 4_200_000
    finally:
        proc.terminate()
        proc.wait(timeout=30)
