"""The audit log: keyed hash chain plus signed checkpoints outside the store; every way of tampering with it
makes `yangfan audit verify` exit 1 and name what happened."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.builders import good_rows, platform, write_import
from tests.postgres_server import PostgresServer
from yangfan.cli import app
from yangfan.collect.importer import import_csv
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.settings import get_settings
from yangfan.store import audit
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow

YANGFAN = Path(sys.executable).parent / "yangfan"


@pytest.fixture
def y(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Yangfan]:
    """Five entries, each committed on its own (five checkpoints), in a store that the in-process CLI opens
    with the same settings (through the environment)."""
    monkeypatch.setenv("YANGFAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YANGFAN_DATABASE_URL", store_url)
    get_settings.cache_clear()
    platform_ = platform(tmp_path, store_url)
    audit.bind(platform_.engine, platform_.settings)
    for i in range(5):
        _append(platform_, i)
    yield platform_
    get_settings.cache_clear()


def _append(y: Yangfan, i: int) -> None:
    with session_scope(y.engine) as s:
        audit.append(s, "tester", "test.event", "thing", str(i), before={"n": i}, after={"n": i + 1})


def _anchors(y: Yangfan) -> list[Path]:
    return sorted(y.settings.audit_anchors.glob("*.json"))


def _tamper(y: Yangfan, *statements: str) -> None:
    with y.engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def _broken(*args: str) -> str:
    """`yangfan audit verify` fails: its one error line."""
    code, err = _cli("verify", *args)
    assert code == 1, err
    assert err.startswith("error: [") and len(err.strip().splitlines()) == 1
    return err


def test_intact_log_verifies(y: Yangfan) -> None:
    code, err = _cli("verify")
    assert code == 0 and "5 entries" in err
    assert len(_anchors(y)) == 5
    with session_scope(y.engine) as s:
        verdict = audit.verify(s)
    assert verdict.intact and verdict.entries == 5 and verdict.reason == ""


def test_hashes_are_keyed(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        first = s.scalars(select(AuditRow).order_by(AuditRow.id)).first()
    assert first is not None
    plain = json.dumps([first.prev_hash, first.at, first.actor, first.action, first.entity, first.entity_id,
                        first.before, first.after], ensure_ascii=False).encode()
    assert first.hash != hashlib.sha256(plain).hexdigest()
    assert first.hash == hmac.new(audit.AuditConfig.of(y.settings).key, plain, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("column,value", [("after", '{"n": 99}'), ("actor", "someone else")])
def test_an_edited_entry_is_named_altered(y: Yangfan, column: str, value: str) -> None:
    _tamper(y, f"UPDATE audit_log SET {column} = '{value}' WHERE id = 3")
    err = _broken()
    assert "[altered]" in err and "entry 3:" in err and "记录被改动" in err


def test_a_removed_middle_entry_is_named(y: Yangfan) -> None:
    _tamper(y, "DELETE FROM audit_log WHERE id = 3")
    err = _broken()
    assert "[removed]" in err and "entry 4 does not link" in err


def test_a_deleted_tail_is_named_truncated(y: Yangfan) -> None:
    _tamper(y, "DELETE FROM audit_log WHERE id > 3")
    err = _broken()
    assert "[truncated]" in err and "the log has 3 entries" in err and "counted 5 up to entry 5" in err


def test_deleting_every_entry_is_named_emptied(y: Yangfan) -> None:
    _tamper(y, "DELETE FROM audit_log")
    err = _broken()
    assert "[emptied]" in err and "all entries were deleted" in err and "全部记录被删除" in err


def _plain(_prev: str, payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _wrong_key(_prev: str, payload: bytes) -> str:
    return hmac.new(b"a guessed key", payload, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("rehash", [_plain, _wrong_key], ids=["plain-sha256", "wrong-key"])
def test_a_chain_recomputed_without_the_key_is_named(y: Yangfan, rehash: object) -> None:
    """The attacker edits entry 2 and recomputes every hash from there on, as the old unkeyed chain allowed."""
    assert callable(rehash)
    with session_scope(y.engine) as s:
        rows = list(s.scalars(select(AuditRow).order_by(AuditRow.id)))
    prev = rows[0].hash
    with y.engine.begin() as conn:
        for row in rows[1:]:
            after = '{"n": 99}' if row.id == 2 else row.after
            payload = json.dumps([prev, row.at, row.actor, row.action, row.entity, row.entity_id, row.before, after],
                                 ensure_ascii=False).encode()
            new = rehash(prev, payload)
            conn.execute(text("UPDATE audit_log SET after = :a, prev_hash = :p, hash = :h WHERE id = :i"),
                         {"a": after, "p": prev, "h": new, "i": row.id})
            prev = new
    err = _broken()
    assert "[recomputed]" in err and "every hash from entry 2 on is wrong" in err


@pytest.mark.parametrize("forgery", ["signature", "garbage"])
def test_a_forged_checkpoint_is_named(y: Yangfan, forgery: str) -> None:
    """The attacker deletes the newest entries and replaces the checkpoints with one that matches the rest."""
    _tamper(y, "DELETE FROM audit_log WHERE id > 3")
    with session_scope(y.engine) as s:
        claim = audit.head(s, b"not the key")
    for path in _anchors(y):
        path.unlink()
    forged = y.settings.audit_anchors / "000000000003-forged.json"
    forged.write_text(claim.dumps() if forgery == "signature" else "{not json", encoding="utf-8")
    err = _broken()
    assert "[forged]" in err and "checkpoint 000000000003-forged.json has a bad signature" in err


def test_an_exported_checkpoint_catches_truncation_after_the_anchor_folder_is_wiped(y: Yangfan,
                                                                                     tmp_path: Path) -> None:
    kept = tmp_path / "off-site" / "audit-checkpoint.json"
    code, err = _cli("checkpoint", "--out", str(kept))
    assert code == 0 and str(kept) in err
    assert audit.Checkpoint.loads(kept.read_text(encoding="utf-8")).entries == 5
    # The attacker holds the database and the anchor volume: deletes the tail, wipes the folder, and lets
    # the platform write a fresh (genuine) checkpoint of the shortened log.
    _tamper(y, "DELETE FROM audit_log WHERE id > 3")
    shutil.rmtree(y.settings.audit_anchors)
    _append(y, 9)
    assert _cli("verify")[0] == 0  # the folder alone cannot tell: why checkpoints are also kept elsewhere
    err = _broken("--anchor", str(kept))
    assert "[truncated]" in err and "audit-checkpoint.json" in err and "counted 5 up to entry 5" in err


def test_an_emptied_anchor_folder_is_named(y: Yangfan) -> None:
    for path in _anchors(y):
        path.unlink()
    assert "[unanchored]" in _broken()
    assert _cli("checkpoint")[0] == 0  # an operator who found out why anchors the folder again
    assert _cli("verify")[0] == 0


def test_a_broken_log_gets_no_checkpoint(y: Yangfan, tmp_path: Path) -> None:
    _tamper(y, "UPDATE audit_log SET actor = 'x' WHERE id = 2")
    with pytest.raises(YangfanError, match="no checkpoint written"):
        _cli("checkpoint", "--out", str(tmp_path / "cp.json"))
    assert not (tmp_path / "cp.json").exists()


def test_a_rolled_back_transaction_writes_no_checkpoint(y: Yangfan) -> None:
    before = _anchors(y)
    with pytest.raises(RuntimeError), session_scope(y.engine) as s:
        audit.append(s, "tester", "test.event", "thing", "lost")
        raise RuntimeError("the change fails after its audit entry was added")
    assert _anchors(y) == before
    with session_scope(y.engine) as s:
        assert audit.verify(s).entries == 5


def test_a_checkpoint_follows_the_outer_commit_not_a_savepoint(y: Yangfan) -> None:
    before = _anchors(y)
    with session_scope(y.engine) as s:
        with s.begin_nested():
            audit.append(s, "tester", "test.event", "thing", "in a savepoint")
        assert _anchors(y) == before  # released, but not yet committed
    after = _anchors(y)
    assert len(after) == 6 and audit.Checkpoint.loads(after[-1].read_text(encoding="utf-8")).entries == 6


def test_an_unwritable_anchor_folder_warns_and_the_commit_stands(y: Yangfan, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("", encoding="utf-8")
    audit.bind(y.engine, audit.AuditConfig(audit.AuditConfig.of(y.settings).key, blocked))
    with caplog.at_level(logging.WARNING, logger="yangfan.store.audit"):
        _append(y, 6)
    assert "audit checkpoint not written" in caplog.text
    with session_scope(y.engine) as s:
        verdict = audit.verify(s)
    assert verdict.entries == 6 and verdict.breach is audit.Breach.unanchored


def test_concurrent_checkpoint_writers_leave_whole_files_and_the_newest_last(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "KEEP", 10)
    key = b"k"

    def write(worker: int) -> None:
        for i in range(40):
            audit.anchor(audit.Checkpoint.sign(key, i * 8 + worker, i * 8 + worker, "h"), tmp_path)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    files = sorted(tmp_path.glob("*.json"))
    assert 10 <= len(files) <= 20 and not list(tmp_path.glob(".*.tmp"))
    checkpoints = [audit.Checkpoint.loads(p.read_text(encoding="utf-8")) for p in files]
    assert all(cp.signed_by(key) for cp in checkpoints) and checkpoints[-1].last_id == 39 * 8 + 7


@pytest.mark.postgres
def test_concurrent_appends_on_postgresql_keep_one_chain(tmp_path: Path, postgres_server: PostgresServer) -> None:
    y = platform(tmp_path, postgres_server.create_database(f"audit_race_{os.getpid()}"))
    audit.bind(y.engine, y.settings)

    def work(worker: int) -> None:
        for i in range(10):
            with session_scope(y.engine) as s:
                audit.append(s, f"w{worker}", "test.race", "thing", str(i))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with session_scope(y.engine) as s:
        verdict = audit.verify(s)
    assert verdict.intact and verdict.entries == 40, verdict.reason
    newest = audit.Checkpoint.loads(_anchors(y)[-1].read_text(encoding="utf-8"))
    assert newest.entries == 40


def test_installed_command_exit_codes(tmp_path: Path) -> None:
    y = platform(tmp_path)
    audit.bind(y.engine, y.settings)
    import_csv(y.engine, write_import(tmp_path / "a.csv", good_rows()), y.catalog, y.tree)
    env = {k: v for k, v in os.environ.items() if k != "YANGFAN_DATABASE_URL"} | {"YANGFAN_DATA_DIR": str(tmp_path)}
    ok = subprocess.run([str(YANGFAN), "audit", "verify"], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0 and "1 entries" in ok.stderr, ok.stderr
    with session_scope(y.engine) as s:
        entry = s.scalars(select(AuditRow)).one()
        assert entry.action == "data.import" and '"inserted": 3' in entry.after
    _tamper(y, "UPDATE audit_log SET after = replace(after, '3', '4')")
    bad = subprocess.run([str(YANGFAN), "audit", "verify"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "[altered]" in bad.stderr and "entry 1:" in bad.stderr
