"""`yangfan backup` / `yangfan restore`: the same figures and an intact audit log after a restore; a damaged
archive, or a store that holds data without --force, is refused and nothing changes."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tarfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import platform
from tests.postgres_server import PostgresServer
from yangfan.access import accounts
from yangfan.analytics.query import Query
from yangfan.cli import app
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.settings import Settings, get_settings
from yangfan.store import audit
from yangfan.store.backup import ANCHORS, MANIFEST, STORE_FILE, backup, restore
from yangfan.store.db import session_scope

QUERY = Query.parse(["bs_5g", "bs_5g_per_10k", "users_5g_mobile_phone", "users_5g_share"],
                    ["100000", "440000", "440300", "east"], ["2024-12", "2025-06", "2025Q2", "2024"])
NATIONAL = Query.parse(["bs_5g", "bs_5g_per_10k", "users_5g_share"], ["100000", "east"],
                       ["2023-12", "2024-06", "2024Q2"])
Figures = list[tuple[str, str, str, float | None, float | None, float | None]]


def figures(y: Yangfan, q: Query = QUERY) -> Figures:
    """The figures as the CLI and the API serve them, in a comparable form.

    Through the platform's own analytics object: it reopens the file after a rebuild, whereas a second one
    in the same process would be handed DuckDB's cached instance of the replaced file.
    """
    return sorted((f.indicator.code, f.org_unit, str(f.period), f.value, f.numerator, f.denominator)
                  for f in y.query(q))


def settings(data_dir: Path, database_url: str | None = None) -> Settings:
    """A platform's settings on its own data directory (and store)."""
    return Settings(data_dir=data_dir, database_url=database_url)


def add_user(y: Yangfan, name: str) -> None:
    """A change that is audited: one more entry and, with the engine bound, one more checkpoint."""
    audit.bind(y.engine, y.settings)
    with session_scope(y.engine) as s:
        accounts.create_user(s, "test", name, "a long enough password 123")


def verify_audit(y: Yangfan, *anchor_files: Path) -> audit.Verdict:
    """`yangfan audit verify` on this platform: the chain, its anchor folder and these kept checkpoints."""
    fresh = Yangfan(y.settings)
    audit.bind(fresh.engine, fresh.settings)
    with session_scope(fresh.engine) as s:
        return audit.verify(s, list(anchor_files))


def cli(data_dir: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, BaseException | None]:
    """The command in process, on the platform in `data_dir` (through the environment, as deployed)."""
    monkeypatch.setenv("YANGFAN_DATA_DIR", str(data_dir))
    monkeypatch.delenv("YANGFAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
    exc = None if isinstance(result.exception, SystemExit) else result.exception
    return result.exit_code, result.stderr, exc


def state(data_dir: Path) -> tuple[dict[str, int], tuple[float, ...], dict[str, str]]:
    """What a refused restore must leave alone: rows per table, the data values, the anchor files."""
    with closing(sqlite3.connect(data_dir / "yangfan.sqlite")) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        values = conn.execute("SELECT count(*), total(value), max(id), total(is_current) FROM data_value").fetchone()
    anchors = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (data_dir / ANCHORS).glob("*")}
    return counts, tuple(values), anchors


@pytest.fixture(scope="module")
def archive(demo: Yangfan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup (folder form) of a demo store with signed audit checkpoints; the store it came from is then
    destroyed, so that every figure after a restore can only come from the archive."""
    base = tmp_path_factory.mktemp("backup")
    seed = backup(demo.settings, base / "seed")
    assert seed.row_counts["data_value"] > 50_000
    source = Yangfan(settings(base / "source"))
    restore(source.settings, base / "seed")  # a private copy of the session's demo store, to destroy
    add_user(source, "alice")
    assert list(source.settings.audit_anchors.glob("*.json")), "the audited change wrote a checkpoint"
    backup(source.settings, base / "archive")
    source.engine.dispose()
    (base / "source" / "yangfan.sqlite").unlink()
    return base / "archive"


@pytest.fixture(scope="module")
def restored(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Yangfan]:
    """A fresh data directory restored from the archive by `yangfan restore` (which rebuilds the analytics)."""
    with pytest.MonkeyPatch.context() as mp:
        target = tmp_path_factory.mktemp("restored")
        code, err, exc = cli(target, mp, "restore", str(archive))
        assert (code, exc) == (0, None), err
        assert "restored" in err and "analytics rebuilt" in err
    yield Yangfan(settings(target))


@pytest.fixture(scope="module")
def occupied(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    """A store that holds data and differs from the archive (one more user, entry and checkpoint), so that
    a restore over it would show."""
    y = Yangfan(settings(tmp_path_factory.mktemp("occupied")))
    restore(y.settings, archive)
    add_user(y, "dave")
    y.engine.dispose()
    return y


def test_restore_serves_the_same_figures(restored: Yangfan, demo: Yangfan) -> None:
    before, after = figures(demo), figures(restored)
    assert sum(v is not None for _, _, _, v, _, _ in after) >= 20
    assert after == before


def test_restored_audit_log_verifies(restored: Yangfan, archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, err, exc = cli(restored.settings.data_dir, monkeypatch, "audit", "verify")
    assert (code, exc) == (0, None), err
    kept = sorted(p.name for p in (archive / ANCHORS).glob("*.json"))
    assert kept and sorted(p.name for p in restored.settings.audit_anchors.glob("*.json")) == kept


def test_manifest(archive: Path) -> None:
    manifest = json.loads((archive / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["store_kind"] == "sqlite" and manifest["alembic_revision"]
    assert manifest["row_counts"]["app_user"] == 1 and manifest["row_counts"]["audit_log"] >= 1
    assert manifest["created_at"] and manifest["yangfan_version"]
    files = {p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file()} - {MANIFEST}
    assert set(manifest["files"]) == files and STORE_FILE["sqlite"] in files
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((archive / name).read_bytes()).hexdigest() == entry["sha256"]


def _flip_byte(root: Path) -> None:
    store = root / STORE_FILE["sqlite"]
    data = bytearray(store.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(bytes(data))


def _truncate_store(root: Path) -> None:
    store = root / STORE_FILE["sqlite"]
    store.write_bytes(store.read_bytes()[: store.stat().st_size // 3])


def _drop_anchor(root: Path) -> None:
    next((root / ANCHORS).glob("*.json")).unlink()


def _add_anchor(root: Path) -> None:
    (root / ANCHORS / "999999999999-0-0.json").write_text("{}", encoding="utf-8")


def _edit_counts(root: Path) -> None:
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    manifest["row_counts"]["data_value"] += 1
    (root / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _drop_manifest(root: Path) -> None:
    (root / MANIFEST).unlink()


def _truncated_tar(root: Path) -> Path:
    tar = root.with_name(root.name + ".tar")
    with tarfile.open(tar, "w") as t:
        for p in sorted(root.rglob("*")):
            t.add(p, p.relative_to(root).as_posix(), recursive=False)
    tar.write_bytes(tar.read_bytes()[: tar.stat().st_size // 2])
    return tar


@pytest.mark.parametrize("damage,code", [
    (_flip_byte, "restore.checksum"),
    (_truncate_store, "restore.truncated"),
    (_drop_anchor, "restore.missing"),
    (_add_anchor, "restore.unexpected"),
    (_edit_counts, "restore.counts"),
    (_drop_manifest, "restore.manifest"),
    (_truncated_tar, "restore.unreadable"),
])
def test_a_damaged_archive_is_refused_and_changes_nothing(
        occupied: Yangfan, archive: Path, tmp_path: Path, damage: Callable[[Path], Path | None], code: str) -> None:
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    damaged = damage(copy) or copy
    before = state(occupied.settings.data_dir)
    with pytest.raises(YangfanError) as refused:
        restore(occupied.settings, damaged, force=True)
    assert code in {i.code for i in refused.value.issues}
    assert all(i.message_zh and i.message_en for i in refused.value.issues)
    assert state(occupied.settings.data_dir) == before


def test_a_store_with_data_needs_force(occupied: Yangfan, archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = state(occupied.settings.data_dir)
    assert before[0]["app_user"] == 2
    _code, _err, exc = cli(occupied.settings.data_dir, monkeypatch, "restore", str(archive))
    assert isinstance(exc, YangfanError) and exc.issues[0].code == "restore.not_empty"
    assert "--force" in exc.issues[0].message_en
    assert state(occupied.settings.data_dir) == before


def test_backup_never_overwrites(occupied: Yangfan, archive: Path) -> None:
    with pytest.raises(YangfanError, match="exists"):
        backup(occupied.settings, archive)


def test_tar_archive_round_trip(archive: Path, tmp_path: Path) -> None:
    source = Yangfan(settings(tmp_path / "source"))
    restore(source.settings, archive)
    written = backup(source.settings, tmp_path / "copy.tar.gz")
    target = Yangfan(settings(tmp_path / "target"))
    done = restore(target.settings, tmp_path / "copy.tar.gz")
    assert done.manifest.row_counts == written.row_counts and done.anchors_set_aside is None
    assert state(tmp_path / "target") == state(tmp_path / "source")


def test_restoring_an_older_backup_keeps_the_newer_checkpoints(archive: Path, tmp_path: Path) -> None:
    y = Yangfan(settings(tmp_path))
    restore(y.settings, archive)
    add_user(y, "bob")  # after the backup: its checkpoint is newer than any in the archive
    newest = sorted(y.settings.audit_anchors.glob("*.json"))[-1]
    y.engine.dispose()
    done = restore(y.settings, archive, force=True)
    assert done.anchors_set_aside is not None and (done.anchors_set_aside / newest.name).exists()
    assert not (y.settings.audit_anchors / newest.name).exists()
    assert verify_audit(y).intact  # the log as it was at the backup, with its own checkpoints
    proof = verify_audit(y, done.anchors_set_aside / newest.name)
    assert not proof.intact and proof.breach == "truncated"  # the kept checkpoint shows the roll-back


@pytest.mark.postgres
def test_postgres_round_trip(postgres_server: PostgresServer, tmp_path: Path) -> None:
    source = platform(tmp_path / "source", postgres_server.create_database("backup_source"))
    source.load_history()
    source.rebuild()
    add_user(source, "carol")
    before = figures(source, NATIONAL)
    written = backup(source.settings, tmp_path / "pg.tar")
    assert written.store_kind == "postgresql" and written.row_counts["app_user"] == 1
    target = Yangfan(settings(tmp_path / "target", postgres_server.create_database("backup_target")))
    done = restore(target.settings, tmp_path / "pg.tar")  # into an empty database
    target.rebuild()
    assert figures(target, NATIONAL) == before and sum(v is not None for _, _, _, v, _, _ in before) >= 5
    assert done.manifest.row_counts == written.row_counts
    assert verify_audit(target).intact
    with pytest.raises(YangfanError, match="--force"):
        restore(target.settings, tmp_path / "pg.tar")
    assert restore(target.settings, tmp_path / "pg.tar", force=True).manifest == written
