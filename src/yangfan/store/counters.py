"""Counts of public downloads, per day, item and format: how much the open data is used, without an
audit entry per anonymous request (the audit log is for accountable actions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yangfan.store.models import DownloadCountRow


def count_download(session: Session, item: str, fmt: str, day: date | None = None) -> None:
    """Add one download of ``item`` in ``fmt`` to today's count (one upsert: concurrent requests add up)."""
    values = {"day": day or datetime.now(UTC).date(), "item": item[:100], "format": fmt[:10], "count": 1}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(DownloadCountRow).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=["day", "item", "format"],
                                               set_={"count": DownloadCountRow.count + 1}))


def downloads(session: Session, since: date | None = None) -> list[DownloadCountRow]:
    """The counts, newest day first."""
    q = select(DownloadCountRow)
    if since is not None:
        q = q.where(DownloadCountRow.day >= since)
    return list(session.scalars(q.order_by(DownloadCountRow.day.desc(), DownloadCountRow.item)))
