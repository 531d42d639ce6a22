"""The audit chain: every change is logged; tampering with any row is detected and named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.builders import good_rows, platform, write_import
from yangfan.collect.importer import import_csv
from yangfan.context import Yangfan
from yangfan.store import audit
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow

YANGFAN = Path(sys.executable).parent / "yangfan"


@pytest.fixture
def y(tmp_path: Path, store_url: str) -> Yangfan:
    platform_ = platform(tmp_path, store_url)
    with session_scope(platform_.engine) as s:
        for i in range(5):
            audit.append(s, "tester", "test.event", "thing", str(i), before={"n": i}, after={"n": i + 1})
    return platform_


def test_intact_chain_verifies(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        verdict = audit.verify(s)
    assert verdict.intact and verdict.entries == 5


@pytest.mark.parametrize("tamper,reason", [
    ("UPDATE audit_log SET after = '{\"n\": 99}' WHERE id = 3", "altered"),
    ("UPDATE audit_log SET actor = 'someone else' WHERE id = 3", "altered"),
    ("DELETE FROM audit_log WHERE id = 3", "removed"),
])
def test_tampering_is_named(y: Yangfan, tamper: str, reason: str) -> None:
    with y.engine.begin() as conn:
        conn.execute(text(tamper))
    with session_scope(y.engine) as s:
        verdict = audit.verify(s)
    assert not verdict.intact and reason in verdict.reason
    assert verdict.broken_id == (3 if reason == "altered" else 4)


def test_cli_verify_exit_codes(tmp_path: Path) -> None:
    y = platform(tmp_path)
    import_csv(y.engine, write_import(tmp_path / "a.csv", good_rows()), y.catalog, y.tree)
    env = {**os.environ, "YANGFAN_DATA_DIR": str(tmp_path)}
    ok = subprocess.run([str(YANGFAN), "audit", "verify"], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0 and "1 entries" in ok.stderr
    with session_scope(y.engine) as s:
        entry = s.scalars(select(AuditRow)).one()
        assert entry.action == "data.import" and '"inserted": 3' in entry.after
    with y.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET after = replace(after, '3', '4')"))
    bad = subprocess.run([str(YANGFAN), "audit", "verify"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "entry 1" in bad.stderr
