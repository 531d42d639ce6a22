"""The web layer under hostile input: every error in the platform's format and in both languages, no 500 from
a number, bodies refused before they are read, client addresses behind proxies, inert downloads."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from tests.web.conftest import PASSWORD
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.settings import Settings
from yangfan.web.api.account import MAX_UPLOAD
from yangfan.web.app import create_app
from yangfan.web.clients import client_address
from yangfan.web.deps import MAX_INTEGER
from yangfan.web.downloads import csv_bytes, xlsx_bytes
from yangfan.web.limits import SMALL_BODY, BodyLimit
from yangfan.web.responses import error_response


def error_of(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error JSON of a response, checked for its status, code and both languages."""
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code and err["message_zh"] and err["message_en"]
    assert all(i["message_zh"] and i["message_en"] for i in err["issues"])
    return err


@pytest.fixture(scope="module")
def admin(app: FastAPI, page_users: dict[str, str]) -> tuple[TestClient, str]:
    """An administrator's own session on the demo app (so the shared client keeps no cookie) and its CSRF token."""
    c = TestClient(app)  # not entered: the app's start-up work (warming the cockpit) is not wanted here
    r = c.post("/api/v1/auth/login", json={"username": page_users["admin"], "password": PASSWORD})
    return c, r.json()["csrf_token"]


# 422 in the platform's format


def test_invalid_parameters_answer_422_naming_each_in_both_languages(client: TestClient) -> None:
    r = client.get("/api/v1/org-units", params={"level": "two", "limit": 0})
    err = error_of(r, 422, "request.invalid")
    assert "detail" not in r.json()
    assert {i["field"] for i in err["issues"]} == {"level", "limit"}
    for name in ("level", "limit"):
        assert name in err["message_zh"] and name in err["message_en"]
    assert "应为整数" in err["message_zh"] and "must be an integer" in err["message_en"]
    assert "应不小于 1" in err["message_zh"] and "must be at least 1" in err["message_en"]


def test_an_invalid_body_names_the_field_and_why(client: TestClient) -> None:
    err = error_of(client.post("/api/v1/auth/login", json={"username": ""}), 422, "request.invalid")
    messages = {i["field"]: (i["message_zh"], i["message_en"]) for i in err["issues"]}
    assert messages["username"] == ("请求体字段“username”至少需要 1 个字符",
                                    "body field 'username' needs 1 or more characters")
    assert messages["password"] == ("请求体字段“password”缺失", "body field 'password' is required")
    not_json = error_of(client.post("/api/v1/auth/login", content=b"{", headers={"content-type": "application/json"}),
                        422, "request.invalid")
    assert not_json["message_en"] == "invalid request: the request body is not valid JSON"


def test_an_invalid_parameter_on_a_page_gives_the_error_page(client: TestClient) -> None:
    r = client.get("/indicators", params={"lang": "fr"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "查询参数“lang”格式不符" in r.text


# No 500 from a number


@pytest.mark.parametrize("page", [10**18, 2**63, -(2**63), MAX_INTEGER + 1])
def test_a_huge_page_number_is_refused_not_a_crash(admin: tuple[TestClient, str], page: int) -> None:
    c, _ = admin
    r = c.get("/audit", params={"page": page})  # 10**18 × 50 overflowed SQLite's OFFSET: a 500
    assert r.status_code == 422 and "page" in r.text


def test_integers_up_to_the_bound_still_work(admin: tuple[TestClient, str], client: TestClient) -> None:
    c, _ = admin
    assert c.get("/audit", params={"page": MAX_INTEGER}).status_code == 200
    assert client.get("/api/v1/org-units", params={"offset": MAX_INTEGER}).json() == []
    err = error_of(client.get("/api/v1/org-units", params={"offset": 2**63}), 422, "request.invalid")
    assert err["issues"][0]["field"] == "offset" and str(MAX_INTEGER) in err["message_en"]


def test_a_json_number_that_overflows_is_a_422(client: TestClient, admin: tuple[TestClient, str]) -> None:
    # 1e400 parses as inf, which the default handler echoed back and could not encode: a 500.
    body = b'{"username": 1e400, "password": "x"}'
    r = client.post("/api/v1/auth/login", content=body, headers={"content-type": "application/json"})
    assert error_of(r, 422, "request.invalid")["issues"][0]["field"] == "username"
    c, csrf = admin
    r = c.post("/api/v1/reviews", content=b'{"ids": [1e400], "action": "approve"}',
               headers={"content-type": "application/json", "X-CSRF-Token": csrf})
    assert error_of(r, 422, "request.invalid")["issues"][0]["field"] == "ids[0]"


# Starlette's own errors, and the unexpected


def test_unknown_routes_and_methods_answer_in_both_languages(client: TestClient) -> None:
    error_of(client.get("/api/v1/no-such-thing"), 404, "route.unknown")
    r = client.delete("/api/v1/indicators")
    error_of(r, 405, "method.not_allowed")
    assert "GET" in r.headers["allow"]
    page = client.get("/no-such-page", params={"lang": "en"})
    assert page.status_code == 404 and "no such page or API route" in page.text


def test_an_unexpected_exception_is_a_500_in_both_languages_without_a_trace(
        demo: Yangfan, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(demo)

    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom", boom)
    c = TestClient(app)
    with caplog.at_level(logging.ERROR, logger="yangfan.web"):
        api, page = c.get("/api/v1/boom"), c.get("/boom")
    error_of(api, 500, "server.error")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "服务器内部错误" in page.text
    for r in (api, page):
        assert "secret" not in r.text and "Traceback" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff"  # inside the security headers
    assert "secret internals" in caplog.text  # the trace goes to the log


@pytest.mark.parametrize("code,status", [
    ("review.conflict", 409), ("file.too_large", 413), ("request.too_large", 413), ("indicator.unknown", 404),
    ("auth.rate_limited", 429), ("download.rate_limited", 429), ("row.value", 400)])
def test_domain_error_codes_map_to_statuses(code: str, status: int) -> None:
    assert error_response(YangfanError.single(code, "中文", "English")).status_code == status


# Bodies refused before they are read


def run_asgi(app: Any, scope: dict[str, Any], receive: Receive) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    call = app({"type": "http", "method": "POST", "query_string": b"", **scope}, receive, send)
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: Playwright's may be running in this thread
        pool.submit(asyncio.run, call).result()
    return sent


def test_a_declared_oversized_body_is_refused_before_reading() -> None:
    async def never_read(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app was called")

    async def no_receive() -> Message:
        raise AssertionError("the body was read")

    limited = BodyLimit(never_read, {"/api/v1/imports": MAX_UPLOAD})
    headers = [(b"content-length", str(200 * 2**20).encode())]
    sent = run_asgi(limited, {"path": "/api/v1/auth/login", "headers": headers}, no_receive)
    assert sent[0]["status"] == 413 and b"request.too_large" in sent[1]["body"]
    sent = run_asgi(limited, {"path": "/api/v1/imports", "headers": headers}, no_receive)
    assert sent[0]["status"] == 413 and b"20 MB" in sent[1]["body"]


def test_a_chunked_body_is_not_read_past_the_limit() -> None:
    chunks = iter([{"type": "http.request", "body": b"x" * 1024, "more_body": True}] * 10_000)
    read = 0

    async def receive() -> Message:
        nonlocal read
        read += 1
        return next(chunks)

    async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            while (await receive()).get("more_body"):
                pass
        finally:  # whatever the app answers after the interrupted read is not sent
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"not sent"})

    sent = run_asgi(BodyLimit(reads_everything, {}), {"path": "/api/v1/auth/login", "headers": []}, receive)
    assert read == SMALL_BODY // 1024 + 1  # stopped at the first chunk past the limit, of 10,000
    assert [m.get("status") for m in sent][:1] == [413] and all(b"not sent" != m.get("body") for m in sent)


def test_real_oversized_bodies_get_413(client: TestClient) -> None:
    big_login = b'{"username": "' + b"x" * SMALL_BODY + b'", "password": "x"}'
    r = client.post("/api/v1/auth/login", content=big_login, headers={"content-type": "application/json"})
    assert "64 KB" in error_of(r, 413, "request.too_large")["message_zh"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"username": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'", "password": "x"}'

    r = client.post("/api/v1/auth/login", content=chunked(), headers={"content-type": "application/json"})
    error_of(r, 413, "request.too_large")
    # The upload route takes 20 MB, and refuses more before even asking who is sending it
    error_of(client.post("/api/v1/imports", params={"file_name": "a.csv"}, content=b"x" * (MAX_UPLOAD + 1)),
             413, "request.too_large")
    error_of(client.post("/api/v1/imports", params={"file_name": "a.csv"}, content=b"x" * 2**20), 401, "auth.required")


def test_a_chunked_body_over_a_real_socket_gets_413(live_url: str) -> None:
    def chunked() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    r = httpx.post(f"{live_url}/api/v1/auth/login", content=chunked(), headers={"content-type": "application/json"})
    error_of(r, 413, "request.too_large")


# Client addresses


def request_from(peer: str, forwarded: str | None, trusted: list[str]) -> Request:
    platform = SimpleNamespace(settings=Settings(trusted_proxies=trusted))
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 40000), "headers": headers,
                    "app": SimpleNamespace(state=SimpleNamespace(yangfan=platform))})


@pytest.mark.parametrize("peer,forwarded,trusted,expected", [
    ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),  # nobody trusted: the header is anyone's to write
    ("203.0.113.9", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.9"),  # not from the proxy
    ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
    ("10.0.0.2", "6.6.6.6, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),  # the client wrote the left part
    ("10.0.0.2", "198.51.100.1, 10.0.0.7", ["10.0.0.2", "10.0.0.7"], "198.51.100.1"),  # two proxies
    ("10.0.0.2", "198.51.100.1:5555", ["10.0.0.0/8"], "198.51.100.1"),
    ("10.0.0.2", "not-an-address, 10.0.0.7", ["10.0.0.0/8"], "10.0.0.7"),  # garbage stops the walk
    ("10.0.0.2", None, ["10.0.0.0/8"], "10.0.0.2"),
    ("::ffff:10.0.0.2", "2001:db8::1", ["10.0.0.0/8"], "2001:db8::1"),
])
def test_the_client_address_believes_only_trusted_proxies(peer: str, forwarded: str | None, trusted: list[str],
                                                          expected: str) -> None:
    assert client_address(request_from(peer, forwarded, trusted)) == expected


def test_a_wrong_trusted_proxy_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(YangfanError) as exc:
        create_app(Yangfan(Settings(data_dir=tmp_path, trusted_proxies=["10.0.0.0/8", "proxy.local"])))
    assert exc.value.issues[0].code == "settings.trusted_proxies" and "proxy.local" in exc.value.issues[0].message_en


# Downloads that a spreadsheet cannot run

FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"]
ROW = [*FORMULAS, -3, 4.5, "plain", None]


def test_csv_cells_cannot_be_formulas() -> None:
    text = csv_bytes(["=header", "b"], [ROW]).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert header == ["'=header", "b"]
    assert row == ["'" + f for f in FORMULAS] + ["-3", "4.5", "plain", ""]


def test_xlsx_cells_cannot_be_formulas_and_numbers_stay_numbers() -> None:
    ws = load_workbook(io.BytesIO(xlsx_bytes("t", ["=header", "b"], [ROW], notes=["=note"]))).active
    assert ws is not None
    cells = [c for r in ws.iter_rows() for c in r]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [c.value for c in ws[3]]
    # openpyxl reads a stored carriage return back as a line feed
    assert values[:6] == ["'" + f.replace("\r", "\n") for f in FORMULAS]
    assert values[6:9] == [-3, 4.5, "plain"] and ws["G3"].data_type == "n"
    assert ws["A1"].value == "'=note" and ws["A2"].value == "'=header"
