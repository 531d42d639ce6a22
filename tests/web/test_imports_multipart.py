"""POST /api/v1/imports as multipart/form-data (the ``file`` part) beside the raw body: the same checks, the same
size limit, all rows or none; and the OpenAPI document describing both."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.builders import platform
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow, ImportBatchRow
from yangfan.web.api.account import MAX_UPLOAD
from yangfan.web.app import create_app

PASSWORD = "a long enough password"
HEADER = "indicator,org_unit,period,value,unit,disaggregation"


@pytest.fixture
def y(tmp_path: Path) -> Yangfan:
    p = platform(tmp_path)
    with session_scope(p.engine) as s:
        for name, role, unit in (("admin", Role.administrator, None), ("gd", Role.provincial_reporter, "440000")):
            accounts.create_user(s, "test", name, PASSWORD)
            accounts.grant(s, "test", name, role, unit, p.tree)
    return p


def logged_in(y: Yangfan, username: str = "admin") -> tuple[TestClient, dict[str, str]]:
    """A client with a session, and the CSRF header every change needs."""
    c = TestClient(create_app(y))
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, {"X-CSRF-Token": r.json()["csrf_token"]}


def csv(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode(encoding)


def stored(y: Yangfan) -> list[tuple[str, str, float, str, str]]:
    """Every stored value with the name of the file it came from."""
    with session_scope(y.engine) as s:
        rows = s.execute(select(DataValueRow, ImportBatchRow.file_name)
                         .join(ImportBatchRow, ImportBatchRow.id == DataValueRow.batch_id)
                         .order_by(DataValueRow.id)).all()
        return [(r.org_unit_code, r.period_code, r.value, r.note, name) for r, name in rows]


def batches(y: Yangfan) -> int:
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).select_from(ImportBatchRow)) or 0)


def error(r: object, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()["error"]  # type: ignore[attr-defined]
    assert body["message_zh"] and body["message_en"]
    return body


def test_a_csv_uploaded_as_multipart_is_imported_under_its_own_name(y: Yangfan) -> None:
    c, csrf = logged_in(y)
    body = csv("bs_5g,440300,2025-06,8.1,万个,", "bs_5g,440100,2025-06,6.5,万个,")
    r = c.post("/api/v1/imports", files={"file": ("深圳 6月.csv", body, "text/csv")}, headers=csrf)
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["status"]) == (2, "approved")
    assert stored(y) == [("440300", "2025-06", 81_000, "", "深圳 6月.csv"), ("440100", "2025-06", 65_000, "",
                                                                              "深圳 6月.csv")]
    # The same bytes again, raw or multipart: a repeat that changes nothing (idempotent by checksum).
    again = c.post("/api/v1/imports", params={"file_name": "again.csv"}, content=body, headers=csrf)
    assert again.json()["repeated"] and batches(y) == 1


def test_file_name_in_the_query_wins_and_a_browser_path_is_cut_to_its_name(y: Yangfan) -> None:
    c, csrf = logged_in(y)
    r = c.post("/api/v1/imports", params={"file_name": "named.csv"},
               files={"file": ("ignored.csv", csv("bs_5g,440300,2025-06,8.1,万个,"), "text/csv")}, headers=csrf)
    assert r.status_code == 200 and stored(y)[-1][-1] == "named.csv"
    r = c.post("/api/v1/imports", files={"file": ("C:\\fakepath\\广东.csv", csv("bs_5g,440100,2025-06,6,万个,"))},
               headers=csrf)
    assert r.status_code == 200 and stored(y)[-1][-1] == "广东.csv"


def test_a_gbk_csv_with_chinese_headings_and_an_xlsx_come_through_multipart(y: Yangfan) -> None:
    c, csrf = logged_in(y)
    gbk = csv("bs_5g,440300,2025-06,8.1,万个,运营商上报", header="指标,组织单元,期间,数值,单位,备注", encoding="gbk")
    r = c.post("/api/v1/imports", files={"file": ("excel.csv", gbk, "text/csv")}, headers=csrf)
    assert r.status_code == 200, r.text
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["indicator", "org_unit", "period", "value", "unit"], ["bs_5g", "440100", "2025-06", 6.5, "万个"]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    r = c.post("/api/v1/imports", files={"file": ("gz.xlsx", out.getvalue(), "application/octet-stream")},
               headers=csrf)
    assert r.status_code == 200, r.text
    assert stored(y) == [("440300", "2025-06", 81_000, "运营商上报", "excel.csv"),
                         ("440100", "2025-06", 65_000, "", "gz.xlsx")]


def test_a_bad_row_in_a_multipart_upload_stores_nothing(y: Yangfan) -> None:
    c, csrf = logged_in(y)
    body = csv("bs_5g,440300,2025-06,8.1,万个,", "bs_5g,440100,2025-13,6.5,万个,")
    issue = error(c.post("/api/v1/imports", files={"file": ("bad.csv", body)}, headers=csrf), 400)["issues"][0]
    assert (issue["code"], issue["row"], issue["field"], issue["file"]) == (  # type: ignore[index]
        "period.invalid", 3, "period", "bad.csv")
    assert stored(y) == [] and batches(y) == 0


def test_a_reporter_writes_only_inside_its_scope_through_multipart_too(y: Yangfan) -> None:
    c, csrf = logged_in(y, "gd")
    body = csv("bs_5g,440300,2025-06,8.1,万个,", "bs_5g,110000,2025-06,9.0,万个,")
    r = c.post("/api/v1/imports", files={"file": ("b.csv", body)}, headers=csrf)
    assert error(r, 403)["code"] == "permission.denied" and stored(y) == []
    r = c.post("/api/v1/imports", files={"file": ("b.csv", body)})  # no CSRF header
    assert error(r, 403)["code"] == "auth.csrf" and stored(y) == []


@pytest.mark.parametrize("parts", [
    {"files": {"file": (None, "indicator,org_unit,period,value\n")}},  # a text field, not a file
    {"files": {"upload": ("a.csv", b"x")}},  # a file under another name
    {"files": [("file", ("a.csv", b"x")), ("file", ("b.csv", b"y"))]},  # two files
    {"files": {"file": ("a.csv", b"x")}, "data": {"note": "unread"}},  # a part that would be ignored
], ids=["text-field", "other-name", "two-files", "extra-field"])
def test_a_multipart_body_must_hold_exactly_the_file_part(y: Yangfan, parts: dict[str, object]) -> None:
    c, csrf = logged_in(y)
    r = c.post("/api/v1/imports", headers=csrf, **parts)  # type: ignore[arg-type]
    assert error(r, 400)["code"] == "upload.part" and batches(y) == 0


def test_a_multipart_body_without_a_usable_name_or_boundary_is_refused(y: Yangfan) -> None:
    c, csrf = logged_in(y)
    r = c.post("/api/v1/imports", files={"file": ("", csv("bs_5g,440300,2025-06,8.1,万个,"))}, headers=csrf)
    assert error(r, 400)["code"] in ("upload.file_name", "upload.part")
    r = c.post("/api/v1/imports", files={"file": ("x" * 201 + ".csv", b"x")}, headers=csrf)
    assert error(r, 400)["code"] == "upload.file_name"
    r = c.post("/api/v1/imports", content=b"--nothing--", headers={**csrf, "Content-Type": "multipart/form-data"})
    assert error(r, 400)["code"] == "request.unreadable"
    assert batches(y) == 0


def test_the_raw_body_still_needs_its_file_name(y: Yangfan) -> None:
    c, csrf = logged_in(y)
    r = c.post("/api/v1/imports", content=csv("bs_5g,440300,2025-06,8.1,万个,"), headers=csrf)
    issue = error(r, 400)["issues"][0]
    assert (issue["code"], issue["field"]) == ("upload.file_name", "file_name")  # type: ignore[index]
    r = c.post("/api/v1/imports", params={"file_name": "raw.csv"}, content=csv("bs_5g,440300,2025-06,8.1,万个,"),
               headers=csrf)
    assert r.status_code == 200 and stored(y)[0][-1] == "raw.csv"


def _multipart(file: bytes, boundary: str = "yangfan-test-boundary") -> tuple[bytes, str]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    return head + file + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_the_upload_limit_applies_to_multipart_bodies(y: Yangfan) -> None:
    c, csrf = logged_in(y)
    body, content_type = _multipart(b"x" * MAX_UPLOAD)  # the file alone is at the limit: its envelope is not
    r = c.post("/api/v1/imports", content=body, headers={**csrf, "Content-Type": content_type})
    assert error(r, 413)["code"] == "request.too_large"

    def chunked() -> Iterator[bytes]:  # no Content-Length: refused as the count passes the limit
        for i in range(0, len(body), 2**20):
            yield body[i:i + 2**20]

    r = c.post("/api/v1/imports", content=chunked(), headers={**csrf, "Content-Type": content_type})
    assert error(r, 413)["code"] == "request.too_large"
    assert batches(y) == 0


def test_openapi_documents_the_raw_and_the_multipart_body(y: Yangfan) -> None:
    spec = TestClient(create_app(y)).get("/openapi.json").json()
    body = spec["paths"]["/api/v1/imports"]["post"]["requestBody"]
    assert body["required"] and "multipart/form-data" in body["description"] and "GBK" in body["description"]
    content = body["content"]
    assert content["text/csv"]["example"].startswith(HEADER)
    assert content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]["schema"]["format"] == "binary"
    form = content["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
    params = {p["name"]: p for p in spec["paths"]["/api/v1/imports"]["post"]["parameters"]}
    assert not params["file_name"]["required"]
