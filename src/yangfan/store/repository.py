"""Writes and reads of the store: reference data sync, batches of data values, revisions, lineage."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session

from yangfan.catalog import Catalog
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import parse_period
from yangfan.store import audit
from yangfan.store.models import (
    ChangeRow,
    DataValueRow,
    GroupMemberRow,
    ImportBatchRow,
    IndicatorRow,
    OrgUnitRow,
    PeriodRow,
    SourceRow,
    TargetRow,
)
from yangfan.store.values import QUALIFIERS, RANK, RELEASED, NewValue, Status


def sync_reference(session: Session, catalog: Catalog, tree: OrgUnitTree) -> None:
    """Mirror the catalog and the org units into the store (insert or update, never delete)."""
    for ind in catalog.indicators.values():
        session.merge(IndicatorRow(code=ind.code, name_zh=ind.name_zh, name_en=ind.name_en, unit=ind.unit,
                                   kind=ind.kind, definition_zh=ind.definition_zh))
    for t in catalog.targets.values():
        session.merge(TargetRow(code=t.code, plan=t.plan, indicator_code=t.indicator, value=t.value,
                                comparator=t.comparator, deadline=str(t.deadline) if t.deadline else None,
                                scope=t.scope, clause_section=t.clause.section, clause_quote=t.clause.quote))
    existing = set(session.scalars(select(OrgUnitRow.code)))
    new_rows = [
        {"code": u.code, "name_zh": u.name_zh, "name_en": u.name_en, "kind": u.kind, "level": u.level,
         "parent_code": u.parent, "valid_from": u.valid_from, "valid_to": u.valid_to}
        for u in tree.all() if u.code not in existing
    ]
    if new_rows:
        session.bulk_insert_mappings(OrgUnitRow.__mapper__, new_rows)
    rows = session.execute(select(GroupMemberRow.group_code, GroupMemberRow.member_code)).all()
    members = {(g, m) for g, m in rows}
    for g, m in tree.group_memberships():
        if (g, m) not in members:
            session.add(GroupMemberRow(group_code=g, member_code=m))
    session.flush()


def ensure_periods(session: Session, codes: Iterable[str]) -> None:
    """Register the periods that values refer to."""
    known = set(session.scalars(select(PeriodRow.code)))
    for code in sorted(set(codes) - known):
        p = parse_period(code)
        session.add(PeriodRow(code=code, type=p.type, start_date=p.start, end_month=str(p.end_month)))
    session.flush()


def _source_ids(session: Session, values: Sequence[NewValue]) -> dict[tuple[str, str | None, str], int]:
    out: dict[tuple[str, str | None, str], int] = {}
    for kind, url, title in {v.source_key for v in values}:
        row = session.scalar(select(SourceRow).where(
            SourceRow.kind == kind, SourceRow.title == title,
            SourceRow.url.is_(None) if url is None else SourceRow.url == url))
        if row is None:
            row = SourceRow(kind=kind, url=url, title=title)
            session.add(row)
            session.flush()
        out[(kind, url, title)] = row.id
    return out


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a batch did: rows inserted, revised (new version) and unchanged; whether it was a repeat."""

    batch_id: int | None
    inserted: int
    revised: int
    unchanged: int
    repeated: bool = False


def checksum(content: bytes) -> str:
    """SHA-256 of a file's bytes: the identity of an import."""
    return hashlib.sha256(content).hexdigest()


def write_batch(session: Session, file_name: str, digest: str, values: Sequence[NewValue],
                status: Status = "approved", user: str = "system") -> WriteResult:
    """Store one batch inside the caller's transaction: new keys inserted, changed values revised.

    A batch whose checksum was already imported changes nothing. A value equal to the latest one
    from the same source is left alone; a different one becomes a new version. The new version
    replaces (marks not current) only the source's versions it outranks or equals (``RANK``): a
    submission leaves the approved and published versions standing until it is itself approved,
    and so on, so that nobody's view loses a figure before a better one is there.
    """
    if session.scalar(select(ImportBatchRow.id).where(ImportBatchRow.checksum == digest)) is not None:
        return WriteResult(None, 0, 0, len(values), repeated=True)
    batch = ImportBatchRow(file_name=file_name, checksum=digest, row_count=len(values), imported_by=user)
    session.add(batch)
    session.flush()
    ensure_periods(session, {v.period for v in values})
    sources = _source_ids(session, values)
    current = current_rows(session, {v.indicator for v in values}, {v.period for v in values},
                           {v.org_unit for v in values})
    inserted = revised = unchanged = 0
    plan: list[tuple[NewValue, int, int]] = []  # each new row's value, source and version
    keys: list[tuple[str, str, str, str]] = []  # and its key
    touched: set[tuple[str, str, str, str]] = set()
    only = next(iter(sources.values())) if len(sources) == 1 else None  # a file's values share one source
    for v in values:
        sid = sources[v.source_key] if only is None else only
        key = (v.indicator, v.org_unit, v.period, v.disaggregation)
        touched.add(key)
        version = _next_version(current.get((*key, sid)) if current else None, v, status)
        if version is None:
            unchanged += 1
            continue
        if version == 1:
            inserted += 1
        else:
            revised += 1
        plan.append((v, sid, version))
        keys.append(key)
    session.flush()
    # A key that has no row at all yet and gets one new row here: that row is its preferred one, as
    # ``elect_preferred`` would decide, without reading it back (a first import of a million values).
    alone = _first_rows(session, keys)
    new_rows = [(v.indicator, v.org_unit, v.period, v.disaggregation, v.value, v.qualifier, v.scope, sid, batch.id,
                 v.source_row, v.source_cell, status, version, True, v.priority, key in alone, v.note)
                for (v, sid, version), key in zip(plan, keys, strict=True)]
    if new_rows:
        _insert_values(session, _NEW_ROW, new_rows)
    elect_preferred(session, touched - alone)
    audit.append(session, user, "data.import", "import_batch", str(batch.id),
                 after={"file": file_name, "sha256": digest, "status": status, "inserted": inserted,
                        "revised": revised, "unchanged": unchanged})
    if status in RELEASED and new_rows:
        record_change(session, "import", {"batch": batch.id}, (key[:3] for key in keys))
    return WriteResult(batch.id, inserted, revised, unchanged)


#: The columns of a new data_value row, in the order of the tuples ``write_batch`` builds (the table's order, so
#: that the driver takes them as they are).
_NEW_ROW = ("indicator_code", "org_unit_code", "period_code", "disaggregation", "value", "qualifier", "scope",
            "source_id", "batch_id", "source_row", "source_cell", "status", "version", "is_current", "priority",
            "preferred", "note")


def _next_version(standing: list[DataValueRow] | None, v: NewValue, status: Status) -> int | None:
    """The version of ``v``'s new row (1 for a new key and source), or None when the latest version from its
    source already says the same (unchanged); the versions the new one replaces are marked not current."""
    if not standing:
        return 1
    latest = max(standing, key=lambda r: r.version)
    if (latest.value == v.value and latest.qualifier == v.qualifier and latest.status != "returned"
            and RANK[latest.status] >= RANK[status]):
        return None
    supersede(standing, status)
    return latest.version + 1


def _insert_values(session: Session, columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
    """INSERT data_value rows (tuples of ``columns``) in the caller's transaction, by one executemany of the
    driver: the rows hold plain values already, and SQLAlchemy's preparation of each row's parameters (the ORM's
    bulk insert, or Core's) took as long again as SQLite's insert itself."""
    table = DataValueRow.metadata.tables[DataValueRow.__tablename__]
    connection = session.connection()
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(columns))
    if set(compiled.binds) != set(columns):  # a column the rows leave to its Python-side default: Core fills it
        session.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])
    elif compiled.positional:
        order = [columns.index(c) for c in compiled.positiontup or ()]
        same = order == list(range(len(columns)))
        connection.exec_driver_sql(str(compiled), rows if same else [tuple(r[i] for i in order) for r in rows])
    else:
        connection.exec_driver_sql(str(compiled), [dict(zip(columns, r, strict=True)) for r in rows])


def _first_rows(session: Session, keys: Sequence[tuple[str, str, str, str]]) -> set[tuple[str, str, str, str]]:
    """The keys that occur once in ``keys`` (of new rows) and have no stored row of any version or source."""
    once = {k for k, n in Counter(keys).items() if n == 1}
    if not once:
        return once
    stored = session.execute(select(DataValueRow.indicator_code, DataValueRow.org_unit_code, DataValueRow.period_code,
                                    DataValueRow.disaggregation).distinct()
                             .where(*_within({k[0] for k in once}, {k[2] for k in once}, {k[1] for k in once})))
    return once - {(i, o, p, d) for i, o, p, d in stored}


def supersede(standing: Iterable[DataValueRow], status: str) -> None:
    """Mark not current the versions that a new version in ``status`` replaces: those it outranks or equals."""
    for r in standing:
        if RANK[r.status] <= RANK[status]:
            r.is_current = False


def record_change(session: Session, kind: str, detail: Mapping[str, object],
                  touched: Iterable[tuple[str, str, str]]) -> None:
    """Note, in the caller's transaction, that released values changed: the analytics must follow.

    ``touched``: the (indicator, org unit, period) of every value whose release changed. The analytics recompute
    the slices (indicator, period) of these units and what depends on them, not the whole cube.
    """
    keys = set(touched)
    body = {**detail, "slices": sorted({(i, p) for i, _, p in keys}), "units": sorted({u for _, u, _ in keys})}
    # Ids must reach the log in commit order, or a build could count as applied a change committed after it read:
    # SQLite has one writer at a time; on PostgreSQL the audit's lock, held to the commit, serialises the writers.
    audit.serialise(session)
    session.add(ChangeRow(kind=kind, detail=json.dumps(body, sort_keys=True)))
    session.flush()


#: Past this many org units a query reads whole slices (indicator × period) rather than naming each unit.
_NAMED_UNITS = 500


def _within(indicators: set[str], periods: set[str], org_units: set[str] | None) -> list[ColumnElement[bool]]:
    """Rows of these indicators and periods, and of these org units when they are few: a review of one
    province's return reads its keys through the key index, not the nation's rows of the month."""
    where: list[ColumnElement[bool]] = [DataValueRow.indicator_code.in_(indicators),
                                        DataValueRow.period_code.in_(periods)]
    if org_units is not None and len(org_units) <= _NAMED_UNITS:
        where.append(DataValueRow.org_unit_code.in_(org_units))
    return where


def current_rows(session: Session, indicators: set[str], periods: set[str], org_units: set[str] | None = None
                 ) -> dict[tuple[str, str, str, str, int], list[DataValueRow]]:
    """The current versions of these indicators and periods (and org units), by key and source, in one query."""
    rows = session.scalars(select(DataValueRow).where(
        DataValueRow.is_current.is_(True), *_within(indicators, periods, org_units)))
    out: dict[tuple[str, str, str, str, int], list[DataValueRow]] = {}
    for r in rows:
        out.setdefault((r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation, r.source_id), []).append(r)
    return out


def _rank(row: DataValueRow) -> tuple[bool, int, int, int]:
    # A released value outranks one awaiting review: a submission must not hide the published figure.
    return (row.status not in RELEASED, -row.priority, QUALIFIERS.index(row.qualifier), -row.id)


def elect_preferred(session: Session, keys: set[tuple[str, str, str, str]]) -> None:
    """Among the current rows of each key, mark exactly one preferred.

    Released (approved or published) first, then higher priority, then exact over approximate over
    lower bound, then the latest row.
    """
    if not keys:
        return
    rows = session.scalars(select(DataValueRow).where(
        *_within({k[0] for k in keys}, {k[2] for k in keys}, {k[1] for k in keys})))
    by_key: dict[tuple[str, str, str, str], list[DataValueRow]] = {}
    for r in rows:
        key = (r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation)
        if key in keys:
            by_key.setdefault(key, []).append(r)
    for group in by_key.values():
        live = sorted((r for r in group if r.is_current), key=_rank)
        for r in group:
            r.preferred = bool(live) and r is live[0]
    session.flush()


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One stored value for a key and the source it came from: the lineage of a reported figure."""

    url: str | None
    title: str
    kind: str
    value: float
    qualifier: str
    status: str
    preferred: bool
    #: Gives the same number as the preferred value (a second page for one figure).
    agrees: bool
    note: str
    value_id: int


def sources_of_keys(session: Session, keys: set[tuple[str, str, str, str]], statuses: Sequence[str] = RELEASED,
                    used: Mapping[tuple[str, str, str, str], float] | None = None
                    ) -> dict[tuple[str, str, str, str], list[SourceInfo]]:
    """Every current value of each key in one of ``statuses``, with its source: those that give the value in
    use first (``used``: what analytics took, which can be another source's when the preferred failed a check;
    the preferred value otherwise), then the alternatives."""
    if not keys:
        return {}
    joined = select(DataValueRow, SourceRow).join(SourceRow, SourceRow.id == DataValueRow.source_id)
    rows = session.execute(joined.where(
        DataValueRow.is_current.is_(True), DataValueRow.status.in_(statuses),
        DataValueRow.indicator_code.in_({k[0] for k in keys}),
        DataValueRow.period_code.in_({k[2] for k in keys}))).all()
    by_key: dict[tuple[str, str, str, str], list[tuple[DataValueRow, SourceRow]]] = {}
    for r, src in rows:
        key = (r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation)
        if key in keys:
            by_key.setdefault(key, []).append((r, src))
    out: dict[tuple[str, str, str, str], list[SourceInfo]] = {}
    for key, group in by_key.items():
        chosen = (used or {}).get(key, next((r.value for r, _ in group if r.preferred), None))
        infos = [SourceInfo(src.url, src.title, src.kind, r.value, r.qualifier, r.status, r.preferred,
                            r.value == chosen, r.note, r.id) for r, src in group]
        out[key] = sorted(infos, key=lambda i: (not i.agrees, not i.preferred, i.url or "", i.value_id))
    return out


def history(session: Session, indicator: str, org_unit: str, period: str) -> list[DataValueRow]:
    """Every row ever stored for one key, all sources and versions: the lineage of a figure."""
    return list(session.scalars(select(DataValueRow).where(
        DataValueRow.indicator_code == indicator, DataValueRow.org_unit_code == org_unit,
        DataValueRow.period_code == period).order_by(DataValueRow.source_id, DataValueRow.version)))


def source_of(session: Session, source_id: int) -> SourceRow:
    """The source row, or a clear error."""
    row = session.get(SourceRow, source_id)
    if row is None:
        raise YangfanError.single("source.unknown", f"未知来源 {source_id}", f"unknown source {source_id}")
    return row


def known_figures(session: Session, indicators: set[str], periods: set[str], org_units: set[str]
                  ) -> dict[tuple[str, str, str, str], float]:
    """The figure standing for each key of these indicators, periods and org units, as the validation rules
    compare with it: the preferred current value, released or awaiting review (not drafts or returned ones)."""
    if not indicators or not periods or not org_units:
        return {}
    rows = session.execute(select(DataValueRow.indicator_code, DataValueRow.org_unit_code, DataValueRow.period_code,
                                  DataValueRow.disaggregation, DataValueRow.value, DataValueRow.preferred,
                                  DataValueRow.status)
                           .where(DataValueRow.is_current.is_(True),
                                  DataValueRow.status.in_(("submitted", *RELEASED)),
                                  *_within(indicators, periods, org_units)))
    out: dict[tuple[str, str, str, str], float] = {}
    for i, o, p, d, value, _preferred, _status in sorted(rows, key=lambda r: bool(r[5])):
        if o in org_units:
            out[(i, o, p, d)] = value  # the preferred row, sorted last, wins
    return out
