"""Registry records (名录) for the web tests: signed-in clients, records entered directly, files to upload."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from stdnum.cn import uscc as stdnum_uscc

from tests.web.conftest import PASSWORD
from yangfan.access.accounts import Grant
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.registry import intake, records
from yangfan.registry.records import RecordInput
from yangfan.store.db import session_scope

MINISTRY = [Grant(Role.administrator, None)]
#: The smallest file that passes for a PDF (its first bytes are what is checked).
PDF = b"%PDF-1.4\n% Yangfan registry test\n1 0 obj << >> endobj\n%%EOF\n"
#: A credit code whose 18th character is wrong: it should be T.
BAD_USCC = "91440300708461136X"
_numbers = itertools.count(1)


def signed_in(app: FastAPI, username: str) -> tuple[TestClient, str]:
    """A client logged in as ``username`` and its session's CSRF token."""
    client = TestClient(app)
    r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}{next(_numbers):04d}"


def credit_code(n: int | None = None) -> str:
    """A valid unified social credit code nobody else has (Guangzhou's area code)."""
    body = f"91440100WXYK{(n if n is not None else next(_numbers)) % 10**5:05d}"
    return body + stdnum_uscc.calc_check_digit(body)


def entered(y: Yangfan, kind: str, category: str, name: str, org_unit: str, status: str = "recognised",
            attach: bool = False, **fields: Any) -> tuple[int, int | None]:
    """A record entered by the ministry (and a PDF attached): its id (and the attachment's)."""
    with session_scope(y.engine) as s:
        row = records.create(s, y.registry, y.tree, MINISTRY, "test", RecordInput(kind, category, name, org_unit,
                                                                                  **fields), status=status)
        a = intake.attach(s, y.settings.attachments_dir, MINISTRY, y.registry, y.tree, "test", row, "证明材料.pdf",
                          PDF) if attach else None
        return row.id, a.id if a else None
