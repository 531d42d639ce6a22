"""Backups (备份) of the store and the audit anchors in one archive, and their verified restore.

An archive is a folder, or the same folder as a ``.tar`` / ``.tar.gz`` file::

    manifest.json               created_at, store_kind, alembic_revision, row_counts, sha256 and size of each file
    store/yangfan.sqlite        SQLite: an online copy (sqlite3 backup API), single file (journal mode DELETE)
    store/yangfan.pgdump        PostgreSQL: ``pg_dump --format=custom``, taken in the snapshot the rows were counted in
    audit-anchors/…             a copy of the audit checkpoint folder (``settings.audit_anchors``)

The analytics file and the maps cache are not in it: both are rebuilt from the store and the packages.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from alembic.script import ScriptDirectory
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from yangfan import __version__
from yangfan.errors import Issue, Location, YangfanError
from yangfan.settings import Settings
from yangfan.store.db import alembic_config, make_engine, migrate

Say = Callable[[str], None]
StoreKind = Literal["sqlite", "postgresql"]

MANIFEST = "manifest.json"
ANCHORS = "audit-anchors"
STORE_FILE: dict[StoreKind, str] = {"sqlite": "store/yangfan.sqlite", "postgresql": "store/yangfan.pgdump"}
#: Tables that `yangfan init` fills from the catalog and the org units: rows there alone are an empty store.
INIT_TABLES = frozenset({"alembic_version", "indicator", "target", "org_unit", "org_group_member"})


def _quiet(_msg: str) -> None:
    pass


class FileEntry(BaseModel):
    """Checksum and size of one file of the archive."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class Manifest(BaseModel):
    """What an archive holds (manifest.json); parsed and checked before a restore touches anything."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: Literal["yangfan-backup"] = "yangfan-backup"
    format_version: Literal[1] = 1
    created_at: datetime
    yangfan_version: str
    store_kind: StoreKind
    alembic_revision: str | None
    #: Rows per table of the store (every table but alembic_version), counted in the dump's own snapshot.
    row_counts: dict[str, int]
    #: Every file of the archive but the manifest, by its path inside the archive.
    files: dict[str, FileEntry]

    @field_validator("files")
    @classmethod
    def _inside(cls, files: dict[str, FileEntry]) -> dict[str, FileEntry]:
        for name in files:
            p = PurePosixPath(name)
            anchor = len(p.parts) > 1 and p.parts[0] == ANCHORS
            if p.is_absolute() or ".." in p.parts or not (name in STORE_FILE.values() or anchor):
                raise ValueError(f"file outside the archive's layout: {name}")
        return files


@dataclass(frozen=True, slots=True)
class Restored:
    """A finished restore: the archive's manifest, and where the anchors it replaced were kept."""

    manifest: Manifest
    anchors_set_aside: Path | None


# -- the store -----------------------------------------------------------------------------------------


def store_kind(url: str) -> StoreKind:
    """Which kind of store a SQLAlchemy URL names; anything else cannot be backed up."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite" and (make_url(url).database or ":memory:") != ":memory:":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise YangfanError.single("backup.store", f"不支持备份此数据库：{backend}",
                              f"cannot back up a store of kind '{backend}' (SQLite file or PostgreSQL only)")


def _sqlite_path(url: str) -> Path:
    return Path(str(make_url(url).database))


def _read_only(path: Path) -> str:
    """URI of a SQLite file opened without writing anything next to it (no journal, no WAL)."""
    return path.resolve().as_uri() + "?mode=ro&immutable=1"


def _census(conn: Connection) -> tuple[str | None, dict[str, int]]:
    """The Alembic revision and the row count of every table."""
    names = sorted(inspect(conn).get_table_names())
    counts = {n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one())
              for n in names if n != "alembic_version"}
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
        if "alembic_version" in names else None
    return revision, counts


def _census_of(path: Path) -> tuple[str | None, dict[str, int]]:
    """The census of a SQLite dump file, read without touching it."""
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(_read_only(path), uri=True),
                           poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _census(conn)
    finally:
        engine.dispose()


@contextmanager
def _store_errors(url: str) -> Iterator[None]:
    """The store's connection errors (server down, wrong password, locked file) as one clear line."""
    try:
        yield
    except OperationalError as exc:
        where = make_url(url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise YangfanError.single("store.unavailable", f"无法使用数据库 {where}：{reason}",
                                  f"cannot use the store {where}: {reason}") from exc


def _holds_data(url: str) -> bool:
    """True when the store has rows beyond what `yangfan init` writes (values, users, audit entries, …)."""
    if store_kind(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.exists():
            return False
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(path), poolclass=NullPool)
    else:
        engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            _, counts = _census(conn)
    finally:
        engine.dispose()
    return any(n for table_, n in counts.items() if table_ not in INIT_TABLES)


def _tool(name: str) -> str:
    """A PostgreSQL client program: the newest under /usr/lib/postgresql (Debian), else from PATH."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(path).parents[1].name))

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    program = found[-1] if found else shutil.which(name)
    if program is None:
        raise YangfanError.single("backup.tool",
                                  f"找不到 {name}：请安装 PostgreSQL 客户端（Debian：postgresql-client）",
                                  f"{name} not found: install the PostgreSQL client programs "
                                  "(Debian: postgresql-client)")
    return program


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the store, and an environment carrying its password (never on argv)."""
    u = make_url(url)

    def quoted(v: object) -> str:
        return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"

    params: dict[str, object] = {"host": u.host, "port": u.port, "user": u.username, "dbname": u.database}
    params.update({k: v if isinstance(v, str) else v[-1] for k, v in u.query.items()})
    conninfo = " ".join(f"{k}={quoted(v)}" for k, v in params.items() if v not in (None, ""))
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return conninfo, env


def _run(name: str, *args: str, env: dict[str, str]) -> None:
    proc = subprocess.run([_tool(name), *args], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise YangfanError.single("backup.tool_failed", f"{name} 失败（退出码 {proc.returncode}）：{tail}",
                                  f"{name} failed (exit {proc.returncode}): {tail}")


def _dump_sqlite(url: str, out: Path, say: Say) -> tuple[str | None, dict[str, int]]:
    path = _sqlite_path(url)
    if not path.exists():
        raise YangfanError.single("backup.no_store", f"数据库不存在：{path}（请先运行 yangfan init）",
                                  f"no store at {path} (run `yangfan init` first)")
    say(f"store: copying {path.stat().st_size / 1e6:.0f} MB (SQLite online backup)")
    src, dest = sqlite3.connect(path, timeout=60), sqlite3.connect(out)
    try:
        # One step: the copy reads one snapshot; under WAL the platform keeps writing meanwhile.
        src.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        src.close()
        dest.close()
    return _census_of(out)


def _dump_postgres(url: str, out: Path, say: Say) -> tuple[str | None, dict[str, int]]:
    conninfo, env = _libpq(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            # pg_dump reads the snapshot this transaction counted the rows in, so the manifest matches the dump.
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            census = _census(conn)
            say("store: pg_dump")
            _run("pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={out}", f"--dbname={conninfo}",
                 env=env)
    finally:
        engine.dispose()
    return census


def _restore_sqlite(url: str, dump: Path, say: Say) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    say("store: copying into the SQLite store")
    src = sqlite3.connect(_read_only(dump), uri=True)
    dest = sqlite3.connect(target, timeout=60)
    try:
        src.backup(dest)  # replaces every page in one transaction of the destination
        dest.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as exc:
        raise YangfanError.single("restore.busy", f"数据库正被使用，无法恢复：{exc}（请先停止平台）",
                                  f"the store is in use and cannot be restored: {exc} (stop the platform first)"
                                  ) from exc
    finally:
        src.close()
        dest.close()


def _restore_postgres(url: str, dump: Path, tables: set[str], say: Say) -> None:
    conninfo, env = _libpq(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            # Tables of a newer schema than the archive's: --clean drops only what the dump holds, and their
            # foreign keys would stop it dropping the rest; `migrate` recreates them afterwards.
            for name in sorted(set(inspect(conn).get_table_names()) - tables - {"alembic_version"}):
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()
    say("store: pg_restore")
    _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction",
         "--exit-on-error", f"--dbname={conninfo}", str(dump), env=env)


# -- files ---------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path) -> dict[str, Path]:
    """Regular files under a folder by their relative POSIX path (symbolic links count as files, to be refused)."""
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


def _copy_anchors(src: Path, dest: Path) -> None:
    for rel, path in _files(src).items():
        if path.is_symlink():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, dest / rel)
        except FileNotFoundError:  # a temporary file renamed away while we copied: the checkpoint is there
            continue


# -- backup --------------------------------------------------------------------------------------------


def backup(settings: Settings, out: Path, say: Say = _quiet) -> Manifest:
    """Write one archive of the store and the audit anchors to ``out``: a folder, or a ``.tar``/``.tar.gz``
    file; consistent while the platform runs. Refuses to overwrite."""
    kind = store_kind(settings.store_url)
    if out.exists():
        raise YangfanError.single("backup.exists", f"备份目标已存在：{out}", f"the backup target exists: {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        # Anchors first: the log only grows, so the store copied after them holds every entry they vouch for.
        say("audit anchors")
        _copy_anchors(settings.audit_anchors, work / ANCHORS)
        dump = work / STORE_FILE[kind]
        dump.parent.mkdir(parents=True)
        dumper = _dump_sqlite if kind == "sqlite" else _dump_postgres
        with _store_errors(settings.store_url):
            revision, counts = dumper(settings.store_url, dump, say)
        say("checksums")
        files = {rel: FileEntry(sha256=_sha256(p), size=p.stat().st_size) for rel, p in _files(work).items()}
        manifest = Manifest(created_at=datetime.now(UTC).replace(microsecond=0), yangfan_version=__version__,
                            store_kind=kind, alembic_revision=revision, row_counts=counts, files=files)
        (work / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
        _publish(work, out, say)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _publish(work: Path, out: Path, say: Say) -> None:
    """Move the finished archive into place in one rename, as a folder or as a tar file."""
    name = out.name.lower()
    if not name.endswith((".tar", ".tar.gz", ".tgz")):
        work.rename(out)
        return
    say(f"writing {out.name}")
    partial = out.with_name(f".{out.name}.partial")
    partial.touch(mode=0o600)  # like the folder: the store holds password and token hashes
    with tarfile.open(partial, "w" if name.endswith(".tar") else "w:gz") as tar:
        tar.add(work / MANIFEST, MANIFEST)  # first, so that a truncated file still says what is missing
        for rel, path in _files(work).items():
            if rel != MANIFEST:
                tar.add(path, rel)
    partial.replace(out)


# -- restore -------------------------------------------------------------------------------------------


@contextmanager
def _unpacked(archive: Path) -> Iterator[Path]:
    """The archive as a folder: itself, or a tar file unpacked into a temporary folder."""
    if archive.is_dir():
        yield archive
        return
    if not archive.is_file():
        raise YangfanError.single("restore.not_found", f"找不到备份：{archive}", f"no backup at {archive}")
    with tempfile.TemporaryDirectory(prefix="yangfan-restore-") as tmp:
        try:
            with tarfile.open(archive, "r:*") as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise YangfanError.single("restore.unreadable", f"备份文件已损坏或被截断：{exc}",
                                      f"the backup file is damaged or truncated: {exc}",
                                      Location(file=str(archive))) from exc
        yield Path(tmp)


def verify(root: Path) -> Manifest:
    """Check an unpacked archive against its manifest: every file there, whole, unchanged, and nothing else."""
    try:
        manifest = Manifest.model_validate_json((root / MANIFEST).read_bytes())
    except (OSError, ValidationError) as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        raise YangfanError.single("restore.manifest", f"备份清单缺失或无效（{reason}）",
                                  f"the backup's manifest is missing or invalid ({reason})",
                                  Location(file=MANIFEST)) from exc
    issues: list[Issue] = []
    present = _files(root)
    if STORE_FILE[manifest.store_kind] not in manifest.files:
        issues.append(Issue("restore.missing", "清单未列出数据库文件", "the manifest lists no store dump",
                            Location(file=STORE_FILE[manifest.store_kind])))
    for rel, entry in manifest.files.items():
        path, where = present.get(rel), Location(file=rel)
        if path is None or path.is_symlink():
            issues.append(Issue("restore.missing", "备份缺少此文件", "file missing from the backup", where))
        elif (size := path.stat().st_size) != entry.size:
            issues.append(Issue("restore.truncated", f"文件大小不符：{size} 字节，应为 {entry.size}",
                                f"file has {size} bytes, the manifest says {entry.size}: truncated or altered",
                                where))
        elif _sha256(path) != entry.sha256:
            issues.append(Issue("restore.checksum", "文件校验和不符：已损坏或被改动",
                                "sha256 does not match the manifest: the file is damaged or altered", where))
    for rel in sorted(present.keys() - manifest.files.keys() - {MANIFEST}):
        issues.append(Issue("restore.unexpected", "清单之外的文件", "file not listed in the manifest",
                            Location(file=rel)))
    if issues:
        raise YangfanError(issues)
    return manifest


def _check_fits(manifest: Manifest, settings: Settings, force: bool) -> None:
    """Refuse an archive of another store kind or of an unknown (newer) schema, or a store holding data."""
    kind = store_kind(settings.store_url)
    if manifest.store_kind != kind:
        raise YangfanError.single("restore.kind", f"备份来自 {manifest.store_kind} 数据库，当前配置为 {kind}",
                                  f"the backup holds a {manifest.store_kind} store; the configured store is {kind}")
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if manifest.alembic_revision is not None and manifest.alembic_revision not in known:
        raise YangfanError.single(
            "restore.revision", f"备份的数据库版本 {manifest.alembic_revision} 新于本程序，请先升级 Yangfan",
            f"the backup's schema revision {manifest.alembic_revision} is unknown to this Yangfan: upgrade first")
    if not force and _holds_data(settings.store_url):
        raise YangfanError.single("restore.not_empty", "当前数据库已有数据；确认覆盖请加 --force",
                                  "the configured store holds data; add --force to replace it")


def _check_counts(manifest: Manifest, revision: str | None, counts: dict[str, int]) -> None:
    wrong = [f"{t}: {counts.get(t)} ≠ {n}" for t, n in sorted(manifest.row_counts.items()) if counts.get(t) != n]
    if revision != manifest.alembic_revision:
        wrong.append(f"revision: {revision} ≠ {manifest.alembic_revision}")
    if wrong:
        raise YangfanError.single("restore.counts", "数据库内容与清单不符：" + "；".join(wrong),
                                  "the store's rows do not match the manifest: " + "; ".join(wrong))


def _set_aside(manifest: Manifest, anchors: Path) -> Path | None:
    """Keep a copy of the current anchors that the archive does not hold (newer checkpoints prove what
    happened after the backup); returns where, or None when there was nothing to keep."""
    held = {rel.removeprefix(ANCHORS + "/"): e.sha256 for rel, e in manifest.files.items()
            if rel.startswith(ANCHORS + "/")}
    current = _files(anchors)
    if all(held.get(rel) == _sha256(p) for rel, p in current.items() if not p.is_symlink()):
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = anchors.with_name(f"{anchors.name}.before-restore-{stamp}")
    shutil.copytree(anchors, kept, symlinks=True)
    return kept


def _replace_anchors(root: Path, anchors: Path) -> None:
    for path in _files(anchors).values():
        path.unlink()
    anchors.mkdir(parents=True, exist_ok=True)
    _copy_anchors(root / ANCHORS, anchors)


def restore(settings: Settings, archive: Path, force: bool = False, say: Say = _quiet) -> Restored:
    """Verify an archive, then restore its store and audit anchors and bring the schema to this version.

    Nothing changes when the archive is damaged, of another store kind or schema, or when the store holds
    data and ``force`` is not given. The analytics are not rebuilt here: the caller rebuilds them next.
    """
    with _unpacked(archive) as root, _store_errors(settings.store_url):
        say("checking the archive")
        manifest = verify(root)
        _check_fits(manifest, settings, force)
        dump = root / STORE_FILE[manifest.store_kind]
        if manifest.store_kind == "sqlite":  # a dump is checked before it replaces anything
            _check_counts(manifest, *_census_of(dump))
        kept = _set_aside(manifest, settings.audit_anchors)
        if manifest.store_kind == "sqlite":
            _restore_sqlite(settings.store_url, dump, say)
        else:
            _restore_postgres(settings.store_url, dump, set(manifest.row_counts), say)
        engine = make_engine(settings.store_url)
        try:
            if manifest.store_kind == "postgresql":
                with engine.connect() as conn:
                    _check_counts(manifest, *_census(conn))
            say("audit anchors")
            _replace_anchors(root, settings.audit_anchors)
            say("store: schema migrations")
            migrate(engine)
        finally:
            engine.dispose()
    return Restored(manifest, kept)
