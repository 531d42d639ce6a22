"""The audit log (审计日志): append-only, each entry chained to the one before by a keyed hash (HMAC-SHA256),
the chain's head signed into checkpoint files kept outside the store (docs/audit.md).

Whoever can write the database but does not hold the key can neither recompute the chain nor sign a
checkpoint, so editing, removing, truncating or rewriting entries all fail `verify`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import tempfile
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, func, make_url, select
from sqlalchemy.orm import Session, SessionTransaction

from yangfan.errors import YangfanError
from yangfan.settings import Settings, get_settings
from yangfan.store.models import AuditRow

GENESIS = "0" * 64
#: Checkpoints kept in the anchor folder; verify checks every one, so older truncations stay visible too.
KEEP = 100
#: PostgreSQL advisory lock that serialises appends: under READ COMMITTED a row lock on the last entry
#: would hand a waiting writer the old head, and two entries would fork from it.
_APPEND_LOCK = 0x79616E6766616E  # b"yangfan"
_PENDING, _HEAD = "yangfan.audit.pending", "yangfan.audit.head"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """The key of the chain and the folder of its checkpoints (None: no checkpoints, chain only)."""

    key: bytes
    anchors: Path | None

    @classmethod
    def of(cls, settings: Settings) -> AuditConfig:
        """From settings: the audit key, else one derived from the secret key (never the session key itself)."""
        key = (settings.audit_key.encode("utf-8") if settings.audit_key else
               hmac.new(settings.secret_key.encode("utf-8"), b"yangfan-audit-v1", hashlib.sha256).digest())
        return cls(key, settings.audit_anchors)


_configs: weakref.WeakKeyDictionary[Engine, AuditConfig] = weakref.WeakKeyDictionary()


def bind(engine: Engine, settings: Settings | AuditConfig) -> None:
    """Use these settings' key and anchor folder for everything written and verified through this engine."""
    _configs[engine] = settings if isinstance(settings, AuditConfig) else AuditConfig.of(settings)


def config_for(bind_: Engine | Connection) -> AuditConfig:
    """The engine's bound config; an unbound engine on the configured store uses the process settings."""
    engine = bind_.engine
    if (found := _configs.get(engine)) is not None:
        return found
    settings = get_settings()
    config = AuditConfig.of(settings)
    if make_url(settings.store_url) != engine.url:
        # Another store than the settings name (tests, scripts): its anchor folder is unknown, and writing
        # into the configured one would mix two logs' checkpoints.
        log.warning("audit checkpoints are off for %s: call audit.bind(engine, settings)", engine.url)
        config = AuditConfig(config.key, None)
    _configs[engine] = config
    return config


def _digest(key: bytes, prev: str, at: str, actor: str, action: str, entity: str, entity_id: str, before: str,
            after: str) -> str:
    canonical = json.dumps([prev, at, actor, action, entity, entity_id, before, after], ensure_ascii=False)
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _row_digest(key: bytes, row: AuditRow) -> str:
    return _digest(key, row.prev_hash, row.at, row.actor, row.action, row.entity, row.entity_id, row.before,
                   row.after)


def _dump(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def serialise(session: Session) -> None:
    """Hold, until the transaction ends, the lock that orders the writers of the audit log and the change log
    (PostgreSQL; SQLite has a single writer anyway). Taking it again in the same transaction is free."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_APPEND_LOCK)))


def append(session: Session, actor: str, action: str, entity: str, entity_id: str,
           before: Any = None, after: Any = None) -> AuditRow:
    """Add an entry inside the caller's transaction (so a change and its entry commit or fail together);
    a checkpoint is written once that transaction commits."""
    bind_ = session.get_bind()
    key = config_for(bind_).key
    serialise(session)
    last = session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    b, a = _dump(before), _dump(after)
    row = AuditRow(at=at, actor=actor, action=action, entity=entity, entity_id=entity_id, before=b, after=a,
                   prev_hash=prev, hash=_digest(key, prev, at, actor, action, entity, entity_id, b, a))
    session.add(row)
    session.flush()
    session.info[_PENDING] = True
    return row


# --- checkpoints -------------------------------------------------------------------------------------------

def _message(entries: int, last_id: int, head: str, at: str) -> bytes:
    return json.dumps(["yangfan-audit-checkpoint-v1", entries, last_id, head, at]).encode()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement 'the log held `entries` entries, the last one `last_id` with hash `head`, at `at`'."""

    entries: int
    last_id: int
    head: str
    at: str
    signature: str

    @classmethod
    def sign(cls, key: bytes, entries: int, last_id: int, head: str) -> Checkpoint:
        """A checkpoint of this head, signed now with the key."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        return cls(entries, last_id, head, at,
                   hmac.new(key, _message(entries, last_id, head, at), hashlib.sha256).hexdigest())

    def signed_by(self, key: bytes) -> bool:
        """True when the signature is this key's over these fields."""
        expected = hmac.new(key, _message(self.entries, self.last_id, self.head, self.at), hashlib.sha256)
        return hmac.compare_digest(expected.hexdigest(), self.signature)

    def dumps(self) -> str:
        """The file's text."""
        return json.dumps({"version": 1, "entries": self.entries, "last_id": self.last_id, "head": self.head,
                           "at": self.at, "signature": self.signature}, indent=1) + "\n"

    @classmethod
    def loads(cls, text: str) -> Checkpoint:
        """Parse a file's text; ValueError when it is not a checkpoint."""
        try:
            d = json.loads(text)
            return cls(int(d["entries"]), int(d["last_id"]), str(d["head"]), str(d["at"]), str(d["signature"]))
        except (KeyError, TypeError) as exc:  # JSONDecodeError and int("x") are ValueErrors already
            raise ValueError(f"not a checkpoint: {exc}") from exc


def head(session: Session, key: bytes) -> Checkpoint:
    """The log's current head, signed (as this session's transaction sees it)."""
    entries, last_id = session.execute(select(func.count(), func.max(AuditRow.id))).one()
    if not last_id:
        return Checkpoint.sign(key, 0, 0, GENESIS)
    last_hash = session.scalars(select(AuditRow.hash).where(AuditRow.id == last_id)).one()
    return Checkpoint.sign(key, entries, last_id, last_hash)


def save(cp: Checkpoint, path: Path) -> Path:
    """Write a checkpoint file atomically: readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # dot: not matched by *.json
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(cp.dumps())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def anchor(cp: Checkpoint, folder: Path) -> Path:
    """Add a checkpoint to the anchor folder and prune it to the newest KEEP.

    Names sort by last entry, then time: the newest sorts last, and concurrent writers never share a name.
    """
    path = save(cp, folder / f"{cp.last_id:012d}-{time.time_ns():020d}-{os.getpid()}.json")
    for old in sorted(folder.glob("*.json"))[:-KEEP]:
        old.unlink(missing_ok=True)  # another process may be pruning the same files
    return path


@event.listens_for(Session, "before_commit")
def _take_head(session: Session) -> None:
    # Read the head inside the transaction that commits it; write the file only once the commit is done.
    # A savepoint's commit fires these events too: only the outermost transaction counts.
    if session.in_nested_transaction() or not session.info.pop(_PENDING, False):
        return
    config = config_for(session.get_bind())
    if config.anchors is not None:
        session.info[_HEAD] = (head(session, config.key), config.anchors)


@event.listens_for(Session, "after_commit")
def _write_head(session: Session) -> None:
    if session.in_nested_transaction() or (pending := session.info.pop(_HEAD, None)) is None:
        return
    cp, folder = pending
    try:
        anchor(cp, folder)
    except OSError as exc:  # the change is committed; a missing checkpoint shows in verify, not as a failure here
        log.warning("audit checkpoint not written to %s: %s", folder, exc)


@event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_HEAD, None)


def _checkpoints(paths: Sequence[Path]) -> Iterator[tuple[Path, Checkpoint | None]]:
    for path in paths:
        try:
            yield path, Checkpoint.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            yield path, None


# --- verification ------------------------------------------------------------------------------------------

class Breach(StrEnum):
    """How the log fails verification."""

    altered = "altered"
    removed = "removed"
    recomputed = "recomputed"
    truncated = "truncated"
    emptied = "emptied"
    rewritten = "rewritten"
    forged = "forged"
    unanchored = "unanchored"


_REASONS = {
    Breach.altered: ("审计记录 {id} 的内容与其带密钥的哈希不符（记录被改动）",
                     "entry {id}: content does not match its keyed hash (the entry was altered)"),
    Breach.removed: ("审计记录 {id} 未接上前一条（中间有记录被删除、插入或重新链接）",
                     "entry {id} does not link to the entry before it (an entry was removed, inserted or re-linked)"),
    Breach.recomputed: ("从审计记录 {id} 起每条哈希都不符（有人在没有密钥的情况下重算了哈希链）",
                        "every hash from entry {id} on is wrong (the chain was recomputed without the key)"),
    Breach.truncated: ("日志只有 {n} 条，检查点 {file}（{at}）记有 {entries} 条、最后一条为 {id}（末尾记录被删除）",
                       "the log has {n} entries, checkpoint {file} ({at}) counted {entries} up to entry {id} "
                       "(entries were deleted from the end)"),
    Breach.emptied: ("日志为空，检查点 {file}（{at}）记有 {entries} 条（全部记录被删除）",
                     "the log is empty, checkpoint {file} ({at}) counted {entries} entries (all entries were "
                     "deleted)"),
    Breach.rewritten: ("审计记录 {id} 与检查点 {file}（{at}）不符（日志被改写，或截断后重写）",
                       "entry {id} differs from checkpoint {file} ({at}) (the log was rewritten, or truncated "
                       "and written again)"),
    Breach.forged: ("检查点 {file} 的签名无效（伪造，或用别的密钥签名）",
                    "checkpoint {file} has a bad signature (forged, or signed with another key)"),
    Breach.unanchored: ("日志有 {n} 条记录，但锚点目录 {file} 中没有检查点（被清空，或从未写入）",
                        "the log has {n} entries but the anchor folder {file} holds no checkpoint (emptied, or "
                        "never written)"),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Result of checking the log: how many entries, and the first thing that does not hold."""

    entries: int
    broken_id: int | None = None
    reason: str = ""  #: "中文 / English", empty when intact
    breach: Breach | None = None

    @property
    def intact(self) -> bool:
        """True when every entry hashes to its keyed hash, links to the one before, and every checkpoint holds."""
        return self.breach is None


def _verdict(n: int, breach: Breach, entry: int | None, **facts: object) -> Verdict:
    zh, en = _REASONS[breach]
    return Verdict(n, entry, f"{zh.format(n=n, id=entry, **facts)} / {en.format(n=n, id=entry, **facts)}", breach)


@dataclass(slots=True)
class _Walk:
    """One pass over the chain: its length, its first break, and where the checkpoints' entries stand."""

    key: bytes
    wanted: set[int]
    n: int = 0
    prev: str = GENESIS
    first: tuple[int, Breach] | None = None
    wrong_after: int = 0
    right_after: int = 0
    #: entry id -> (its position in the log, its hash), for the ids some checkpoint names
    marks: dict[int, tuple[int, str]] = field(default_factory=dict)

    def step(self, row: AuditRow) -> None:
        self.n += 1
        if row.id in self.wanted:
            self.marks[row.id] = (self.n, row.hash)
        sound = _row_digest(self.key, row) == row.hash
        if self.first is not None:
            self.wrong_after, self.right_after = self.wrong_after + (not sound), self.right_after + sound
        elif row.prev_hash != self.prev:
            self.first = (row.id, Breach.removed)
        elif not sound:
            self.first = (row.id, Breach.altered)
        self.prev = row.hash

    def verdict(self) -> Verdict | None:
        if self.first is None:
            return None
        entry, breach = self.first
        # A forger without the key recomputes every hash after the edit; a plain edit leaves them right.
        if breach is Breach.altered and self.wrong_after and not self.right_after:
            breach = Breach.recomputed
        return _verdict(self.n, breach, entry)

    def against(self, cp: Checkpoint, name: str) -> Verdict | None:
        """How the log contradicts one checkpoint, if it does."""
        facts = {"file": name, "at": cp.at, "entries": cp.entries}
        if cp.last_id == 0:  # a checkpoint of the empty log
            return None
        if cp.last_id not in self.marks:
            return _verdict(self.n, Breach.emptied if self.n == 0 else Breach.truncated, cp.last_id, **facts)
        position, hash_ = self.marks[cp.last_id]
        if position != cp.entries:
            return _verdict(self.n, Breach.truncated, cp.last_id, **facts)
        if hash_ != cp.head:
            return _verdict(self.n, Breach.rewritten, cp.last_id, **facts)
        return None


def verify(session: Session, anchor_files: Sequence[Path] = ()) -> Verdict:
    """Check the chain with the key, then the log against every checkpoint in the anchor folder and in
    `anchor_files` (e.g. one kept off-site); name the first thing that does not hold."""
    config = config_for(session.get_bind())
    folder = sorted(config.anchors.glob("*.json")) if config.anchors and config.anchors.is_dir() else []
    found = list(_checkpoints([*anchor_files, *reversed(folder)]))  # the newest claims first
    walk = _Walk(config.key, {cp.last_id for _, cp in found if cp is not None})
    for row in session.scalars(select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=1000)):
        walk.step(row)
    if (broken := walk.verdict()) is not None:
        return broken
    signed: list[tuple[str, Checkpoint]] = []
    for path, cp in found:
        if cp is None or not cp.signed_by(config.key):
            return _verdict(walk.n, Breach.forged, cp.last_id if cp else None, file=path.name)
        signed.append((path.name, cp))
    for name, cp in signed:
        if (broken := walk.against(cp, name)) is not None:
            return broken
    if config.anchors is not None and walk.n and not folder:
        return _verdict(walk.n, Breach.unanchored, None, file=config.anchors)
    return Verdict(walk.n)


def checkpoint(session: Session, out: Path | None = None) -> Path:
    """Sign the current head and write it to `out` (to keep off-site) or into the anchor folder.

    Refuses a log that fails verification: a checkpoint of a tampered log would vouch for it. An empty
    anchor folder alone does not refuse, so that a new folder can be anchored.
    """
    verdict = verify(session)
    if verdict.breach not in (None, Breach.unanchored):
        zh, _, en = verdict.reason.partition(" / ")
        raise YangfanError.single("audit.broken", f"审计日志不完整，不写检查点：{zh}",
                                  f"the audit log is broken, no checkpoint written: {en}")
    config = config_for(session.get_bind())
    cp = head(session, config.key)
    if out is not None:
        return save(cp, out)
    if config.anchors is None:
        raise YangfanError.single("audit.no_anchors", "此数据库没有锚点目录", "this store has no anchor folder")
    return anchor(cp, config.anchors)


# --- listing -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to list: by actor, action, entity and time (ISO dates, inclusive)."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    since: str = ""
    until: str = ""


def entries(session: Session, f: AuditFilter, limit: int = 50, offset: int = 0) -> tuple[int, list[AuditRow]]:
    """The newest entries that pass the filter, and how many pass in all."""
    q = select(AuditRow)
    for column, value in ((AuditRow.actor, f.actor), (AuditRow.action, f.action), (AuditRow.entity, f.entity)):
        if value:
            q = q.where(column == value)
    if f.since:
        q = q.where(AuditRow.at >= f.since)
    if f.until:
        q = q.where(AuditRow.at < f.until + "\uffff")  # the whole 'until' day: ISO texts sort by time
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(AuditRow.id.desc()).limit(limit).offset(offset)).all()
    return total, list(rows)


def actions(session: Session) -> list[str]:
    """Every kind of action in the log, for the filter's choices."""
    return list(session.scalars(select(AuditRow.action).distinct().order_by(AuditRow.action)))
