"""The audit log (审计日志): append-only, each entry chained to the one before by SHA-256."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yangfan.store.models import AuditRow

GENESIS = "0" * 64


def _digest(prev: str, at: str, actor: str, action: str, entity: str, entity_id: str, before: str,
            after: str) -> str:
    canonical = json.dumps([prev, at, actor, action, entity, entity_id, before, after], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _dump(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def append(session: Session, actor: str, action: str, entity: str, entity_id: str,
           before: Any = None, after: Any = None) -> AuditRow:
    """Add an entry inside the caller's transaction (so a change and its entry commit or fail together)."""
    last = session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(1).with_for_update()).first()
    prev = last.hash if last else GENESIS
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    b, a = _dump(before), _dump(after)
    row = AuditRow(at=at, actor=actor, action=action, entity=entity, entity_id=entity_id, before=b, after=a,
                   prev_hash=prev, hash=_digest(prev, at, actor, action, entity, entity_id, b, a))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class Verdict:
    """Result of checking the chain: how many entries, and the first one that does not hold."""

    entries: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        """True when every entry hashes to its stored hash and links to the one before."""
        return self.broken_id is None


def verify(session: Session) -> Verdict:
    """Recompute every hash in order; name the first entry that was altered, removed after, or re-linked."""
    prev, n = GENESIS, 0
    for row in session.scalars(select(AuditRow).order_by(AuditRow.id)):
        n += 1
        if row.prev_hash != prev:
            return Verdict(n, row.id, "does not link to the entry before it (an entry was removed or inserted)")
        if _digest(row.prev_hash, row.at, row.actor, row.action, row.entity, row.entity_id, row.before,
                   row.after) != row.hash:
            return Verdict(n, row.id, "content does not match its hash (the entry was altered)")
        prev = row.hash
    return Verdict(n)


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
