"""Public downloads are counted, not audited, and limited per client address; a user's export is audited."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.builders import platform
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.collect.importer import import_content
from yangfan.context import Yangfan
from yangfan.settings import Settings
from yangfan.store.counters import downloads
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow
from yangfan.web.app import create_app


def _audit_rows(y: Yangfan) -> int:
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).select_from(AuditRow)) or 0)


def test_public_downloads_are_counted_limited_and_kept_out_of_the_audit(tmp_path: Path) -> None:
    platform(tmp_path)  # the schema
    y = Yangfan(Settings(data_dir=tmp_path, downloads_per_minute=5, login_attempts_per_minute=100))
    import_content(y.engine, "indicator,org_unit,period,value,unit\nbs_5g,100000,2025-06,450,万个\n".encode(),
                   "p.csv", y.catalog, y.tree, status="published")
    with session_scope(y.engine) as s:
        accounts.create_user(s, "test", "analyst", "a long enough password")
        accounts.grant(s, "test", "analyst", Role.ministry_analyst, None, y.tree)
    y.rebuild()
    before = _audit_rows(y)
    public = TestClient(create_app(y))
    answers = [public.get(f"/indicators/bs_5g/download.{fmt}").status_code for fmt in ("csv", "xlsx") * 3]
    assert answers == [200] * 5 + [429]  # five a minute from one address, then "try again in a minute"
    refused = public.get("/indicators/bs_5g/download.csv")
    assert refused.status_code == 429 and "一分钟" in refused.text
    assert _audit_rows(y) == before  # anonymous downloads write no audit entry
    with session_scope(y.engine) as s:
        counts = {(d.item, d.format): d.count for d in downloads(s)}
    assert counts == {("bs_5g", "csv"): 3, ("bs_5g", "xlsx"): 2}
    user = TestClient(create_app(y))
    assert user.post("/api/v1/auth/login", json={"username": "analyst", "password": "a long enough password"}
                     ).status_code == 200
    assert user.get("/indicators/bs_5g/download.csv").status_code == 200
    with session_scope(y.engine) as s:
        export = s.scalars(select(AuditRow).where(AuditRow.action == "export")).one()
    assert export.actor == "analyst"
