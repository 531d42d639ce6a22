"""Registry records: checked input, who may do what, and every change with its history and audit entry.

A record is created ``applied`` (an application, a province's entry) and counts only once the ministry
recognises it; an operator's own networks and edge nodes are its inventory and are recognised as entered.
Nothing is deleted: a record is withdrawn (with an end date) or merged into another, and its history stays.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from yangfan.access.accounts import Grant
from yangfan.access.permissions import in_place
from yangfan.access.roles import SCOPED_TO_OPERATOR, SCOPED_TO_PLACE, Role
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.registry import names, uscc
from yangfan.registry.kinds import Registry
from yangfan.store import audit
from yangfan.store.models import RegistryAttachmentRow, RegistryEventRow, RegistryRecordRow

UNSCOPED = {Role.administrator, Role.ministry_analyst}
OPERATORS = ("cmcc", "ctcc", "cucc", "cbn")
Decision = Literal["recognise", "reject"]


@dataclass(frozen=True, slots=True)
class RecordInput:
    """A record as someone enters it (web form, application, xlsx row)."""

    kind: str
    category: str
    name: str
    org_unit: str
    uscc: str | None = None
    ref: str = ""
    sector: str = ""
    operator: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    call_id: int | None = None


_NOWHERE = Location()


def problems(reg: Registry, tree: OrgUnitTree, r: RecordInput, where: Location = _NOWHERE) -> list[Issue]:
    """Everything wrong with ``r``, each naming its field, in Chinese and English."""
    out: list[Issue] = []

    def bad(f: str, code: str, zh: str, en: str) -> None:
        out.append(Issue(f"registry.{code}", zh, en, Location(where.file, where.row, f, where.entry)))

    kind = reg.kinds.get(r.kind)
    if kind is None:
        bad("kind", "kind", f"未知的名录类别“{r.kind}”，可选：{'、'.join(reg.kinds)}",
            f"unknown registry kind '{r.kind}'; kinds: {', '.join(reg.kinds)}")
        return out
    _identity(reg, tree, r, bad)
    _classification(reg, r, bad)
    return out


Complaint = Callable[[str, str, str, str], None]


def _identity(reg: Registry, tree: OrgUnitTree, r: RecordInput, bad: Complaint) -> None:
    """What the record is and where: category, name, place, credit code, own number."""
    kind = reg.kinds[r.kind]
    if r.category not in kind.categories:
        bad("category", "category", f"{kind.zh}没有子类“{r.category}”，可选：{'、'.join(kind.categories)}",
            f"{kind.en} have no category '{r.category}'; categories: {', '.join(kind.categories)}")
    if not r.name.strip():
        bad("name", "name", "名称不能为空", "the name is empty")
    elif len(r.name) > 200:
        bad("name", "name", "名称超过200个字符", "the name is longer than 200 characters")
    if r.org_unit not in tree.units or not tree.units[r.org_unit].is_place:
        bad("org_unit", "org_unit", f"未知的地区代码“{r.org_unit}”", f"unknown place code '{r.org_unit}'")
    if r.uscc:
        found = uscc.problem(r.uscc)
        if found:
            bad("uscc", "uscc", f"统一社会信用代码“{r.uscc}”无效：{found[0]}",
                f"credit code '{r.uscc}' is not valid: {found[1]}")
    elif kind.key == "uscc":
        bad("uscc", "uscc_missing", "企业和机构须填写统一社会信用代码", "an organisation needs its credit code")
    if kind.key == "ref" and not r.ref.strip():
        bad("ref", "ref_missing", f"{kind.zh}须填写编号（标准号、型号等）", f"{kind.en} need their number")


def _classification(reg: Registry, r: RecordInput, bad: Complaint) -> None:
    """Sector, operator, dates and the kind's own fields."""
    kind = reg.kinds[r.kind]
    if r.sector and r.sector not in reg.sectors:
        bad("sector", "sector", f"未知的行业“{r.sector}”，可选：{'、'.join(reg.sectors)}",
            f"unknown sector '{r.sector}'; sectors: {', '.join(reg.sectors)}")
    if kind.operator and r.operator not in OPERATORS:
        bad("operator", "operator", f"{kind.zh}须注明运营商（{'、'.join(OPERATORS)}）",
            f"{kind.en} need their operator ({', '.join(OPERATORS)})")
    if not kind.operator and r.operator:
        bad("operator", "operator_extra", f"{kind.zh}不按运营商登记", f"{kind.en} are not kept per operator")
    if r.valid_from and r.valid_to and r.valid_to < r.valid_from:
        bad("valid_to", "dates", "失效日期早于生效日期", "the end date is before the start date")
    unknown = sorted(set(r.attrs) - set(kind.attrs))
    if unknown:
        bad("attrs", "attrs", f"{kind.zh}没有字段 {'、'.join(unknown)}",
            f"{kind.en} have no field {', '.join(unknown)}")


def checked(reg: Registry, tree: OrgUnitTree, r: RecordInput) -> RecordInput:
    """``r`` with its credit code compacted, or a YangfanError listing every problem."""
    found = problems(reg, tree, r)
    if found:
        raise YangfanError(found)
    if r.uscc:
        return RecordInput(**{**_fields(r), "uscc": uscc.compact(r.uscc), "name": r.name.strip()})
    return RecordInput(**{**_fields(r), "name": r.name.strip()})


def _fields(r: RecordInput) -> dict[str, Any]:
    return {f: getattr(r, f) for f in RecordInput.__slots__}


# --- who may do what ------------------------------------------------------------------------------------------

def may_enter(grants: Sequence[Grant], reg: Registry, kind: str, org_unit: str, operator: str,
              tree: OrgUnitTree) -> bool:
    """Who enters or edits a record: ministry-level roles any; an operator's reporters its own networks and
    edge nodes; a province's reporters the other kinds in their province."""
    k = reg.kinds.get(kind)
    for g in grants:
        if g.role in UNSCOPED:
            return True
        if k is not None and k.operator and g.role in SCOPED_TO_OPERATOR and g.org_unit == operator:
            return True
        if k is not None and not k.operator and g.role == Role.provincial_reporter and in_place(g, org_unit, tree):
            return True
    return False


def may_decide(grants: Sequence[Grant]) -> bool:
    """Recognition, rejection, withdrawal and merging are the ministry's."""
    return any(g.role in UNSCOPED for g in grants)


def may_read(grants: Sequence[Grant], row: RegistryRecordRow, tree: OrgUnitTree) -> bool:
    """Recognised records are public; the others are seen by ministry-level roles and within their scope."""
    if row.status in ("recognised", "withdrawn"):
        return True
    return any(g.role in UNSCOPED or in_place(g, row.org_unit_code, tree)
               or (g.role in SCOPED_TO_OPERATOR and g.org_unit == row.operator) for g in grants)


def visible(query: Select[Any], grants: Sequence[Grant], tree: OrgUnitTree) -> Select[Any]:
    """``query`` restricted to the records ``grants`` may read (the same rule as ``may_read``, in SQL)."""
    if any(g.role in UNSCOPED for g in grants):
        return query
    seen: list[ColumnElement[bool]] = [RegistryRecordRow.status.in_(("recognised", "withdrawn"))]
    for g in grants:
        if g.org_unit is None:
            continue
        if g.role in SCOPED_TO_PLACE:
            seen.append(RegistryRecordRow.org_unit_code.in_([g.org_unit, *tree.descendants(g.org_unit)]))
        elif g.role in SCOPED_TO_OPERATOR:
            seen.append(RegistryRecordRow.operator == g.org_unit)
    return query.where(or_(*seen))


def refused(what_zh: str, what_en: str) -> YangfanError:
    """The one refusal of an action outside the user's scope."""
    return YangfanError.single("permission.registry", f"无权{what_zh}", f"not allowed to {what_en}")


# --- changes ----------------------------------------------------------------------------------------------------

def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _event(session: Session, row: RegistryRecordRow, actor: str, action: str, message: str = "",
           detail: dict[str, Any] | None = None) -> None:
    session.add(RegistryEventRow(record_id=row.id, at=now(), actor=actor, action=action, message=message,
                                 detail=json.dumps(detail or {}, ensure_ascii=False, default=str)))
    audit.append(session, actor, f"registry.{action}", "registry_record", str(row.id),
                 after={"message": message, **(detail or {})})


def snapshot(row: RegistryRecordRow) -> dict[str, Any]:
    """The fields a change compares, as JSON-ready values."""
    return {"kind": row.kind, "category": row.category, "name": row.name, "uscc": row.uscc, "ref": row.ref,
            "sector": row.sector, "org_unit": row.org_unit_code, "operator": row.operator, "status": row.status,
            "valid_from": str(row.valid_from) if row.valid_from else None,
            "valid_to": str(row.valid_to) if row.valid_to else None, "attrs": json.loads(row.attrs or "{}")}


def _apply(row: RegistryRecordRow, r: RecordInput) -> None:
    row.kind, row.category, row.name, row.uscc, row.ref = r.kind, r.category, r.name, r.uscc or None, r.ref.strip()
    row.name_norm, row.initials = names.normalise(r.name), names.initials(r.name)
    row.search_text = names.searchable(r.name, r.uscc, r.ref)
    row.sector, row.org_unit_code, row.operator = r.sector, r.org_unit, r.operator
    # A start date left blank keeps the one the record has (the day it was recognised).
    row.valid_from, row.valid_to = r.valid_from or row.valid_from, r.valid_to
    row.attrs = json.dumps(r.attrs, ensure_ascii=False, sort_keys=True)
    row.call_id = r.call_id if r.call_id is not None else row.call_id


def same_key(session: Session, reg: Registry, r: RecordInput) -> RegistryRecordRow | None:
    """The live record that ``r`` is by its key: the same credit code, own number, or normalised name and place."""
    q = select(RegistryRecordRow).where(RegistryRecordRow.kind == r.kind, RegistryRecordRow.status != "merged")
    key = reg.kinds[r.kind].key
    if key == "uscc" and r.uscc:
        q = q.where(RegistryRecordRow.uscc == r.uscc)
    elif key == "ref" and r.ref:
        q = q.where(RegistryRecordRow.ref == r.ref.strip())
    else:
        q = q.where(RegistryRecordRow.name_norm == names.normalise(r.name),
                    RegistryRecordRow.org_unit_code == r.org_unit, RegistryRecordRow.operator == r.operator)
    return session.scalars(q.order_by(RegistryRecordRow.id).limit(1)).first()


def create(session: Session, reg: Registry, tree: OrgUnitTree, grants: Sequence[Grant], actor: str, r: RecordInput,
           *, status: str | None = None, demo: bool = False, source: str = "", message: str = "") -> RegistryRecordRow:
    """A new record, refused when its key is taken (the existing record is named: edit or merge that one)."""
    r = checked(reg, tree, r)
    if not may_enter(grants, reg, r.kind, r.org_unit, r.operator, tree):
        raise refused("登记该记录", "enter this record")
    taken = same_key(session, reg, r)
    if taken is not None:
        raise YangfanError.single("registry.duplicate", f"已有相同的记录 #{taken.id}“{taken.name}”：请修改该记录",
                                  f"record #{taken.id} '{taken.name}' is the same: edit that one instead")
    if status is None:
        direct = may_decide(grants) or reg.kinds[r.kind].operator
        status = "recognised" if direct and r.call_id is None else "applied"
    row = RegistryRecordRow(status=status, demo=demo, source=source, created_by=actor, created_at=now(),
                            updated_at=now())
    _apply(row, r)
    if status == "recognised" and row.valid_from is None:
        row.valid_from = now().date()
    session.add(row)
    session.flush()
    _event(session, row, actor, "create", message, {"after": snapshot(row)})
    return row


def update(session: Session, reg: Registry, tree: OrgUnitTree, grants: Sequence[Grant], actor: str,
           row: RegistryRecordRow, r: RecordInput, message: str = "") -> dict[str, tuple[Any, Any]]:
    """Change a record's fields; returns what changed (old, new). A key taken by another record is refused."""
    if row.status == "merged":
        raise YangfanError.single("registry.merged", f"记录 #{row.id} 已合并入 #{row.merged_into}，请修改后者",
                                  f"record #{row.id} was merged into #{row.merged_into}: edit that one")
    r = checked(reg, tree, r)
    if r.kind != row.kind:
        raise YangfanError.single("registry.kind_change", "记录的类别不能修改", "a record's kind cannot change")
    if not (may_enter(grants, reg, row.kind, row.org_unit_code, row.operator, tree)
            and may_enter(grants, reg, r.kind, r.org_unit, r.operator, tree)):
        raise refused("修改该记录", "change this record")
    taken = same_key(session, reg, r)
    if taken is not None and taken.id != row.id:
        raise YangfanError.single("registry.duplicate", f"已有相同的记录 #{taken.id}“{taken.name}”：可合并两条记录",
                                  f"record #{taken.id} '{taken.name}' is the same: merge the two instead")
    before = snapshot(row)
    _apply(row, r)
    after = snapshot(row)
    changed = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
    if changed:
        row.updated_at = now()
        _event(session, row, actor, "update", message, {"changed": changed})
    return changed


def decide(session: Session, grants: Sequence[Grant], actor: str, row: RegistryRecordRow, decision: Decision,
           message: str, valid_from: date | None = None) -> None:
    """Recognise (from ``valid_from``, by default the record's or today) or reject an application."""
    if not may_decide(grants):
        raise refused("认定或驳回", "recognise or reject")
    if row.status != "applied":
        raise YangfanError.single("registry.not_applied", f"记录 #{row.id} 不在申报中（{row.status}）",
                                  f"record #{row.id} is not an application ({row.status})")
    if decision == "reject" and not message.strip():
        raise YangfanError.single("registry.reason", "驳回须说明理由", "a rejection needs a reason")
    row.status = "recognised" if decision == "recognise" else "rejected"
    if decision == "recognise":
        row.valid_from = valid_from or row.valid_from or now().date()
    row.updated_at = now()
    _event(session, row, actor, decision, message, {"status": row.status, "valid_from": row.valid_from})


def withdraw(session: Session, grants: Sequence[Grant], actor: str, row: RegistryRecordRow, message: str,
             valid_to: date | None = None) -> None:
    """End a recognised record: it counts up to ``valid_to`` (today by default) and no longer after."""
    if not may_decide(grants):
        raise refused("撤销记录", "withdraw records")
    if row.status != "recognised":
        raise YangfanError.single("registry.not_recognised", f"只能撤销已认定的记录（#{row.id} 为 {row.status}）",
                                  f"only recognised records can be withdrawn (#{row.id} is {row.status})")
    if not message.strip():
        raise YangfanError.single("registry.reason", "撤销须说明理由", "a withdrawal needs a reason")
    row.status, row.valid_to, row.updated_at = "withdrawn", valid_to or now().date(), now()
    _event(session, row, actor, "withdraw", message, {"valid_to": row.valid_to})


def merge(session: Session, grants: Sequence[Grant], actor: str, keep: RegistryRecordRow, drop: RegistryRecordRow,
          message: str = "") -> dict[str, Any]:
    """Merge ``drop`` into ``keep``: ``keep`` takes the fields it lacks, the earlier start date and ``drop``'s
    attachments; ``drop`` stays, marked merged, with its history. Returns the fields ``keep`` took."""
    if not may_decide(grants):
        raise refused("合并记录", "merge records")
    if keep.id == drop.id or keep.kind != drop.kind or "merged" in (keep.status, drop.status):
        raise YangfanError.single("registry.merge", "只能合并同一类别、未合并的两条不同记录",
                                  "only two different, unmerged records of one kind can be merged")
    taken: dict[str, Any] = {}
    for f in ("uscc", "ref", "sector"):
        if not getattr(keep, f) and getattr(drop, f):
            taken[f] = getattr(drop, f)
            setattr(keep, f, getattr(drop, f))
    attrs = json.loads(keep.attrs or "{}")
    for k, v in json.loads(drop.attrs or "{}").items():
        if v and not attrs.get(k):
            attrs[k] = taken.setdefault(f"attrs.{k}", v)
    keep.attrs = json.dumps(attrs, ensure_ascii=False, sort_keys=True)
    if drop.valid_from and (keep.valid_from is None or drop.valid_from < keep.valid_from) \
            and drop.status in ("recognised", "withdrawn") and keep.status == "recognised":
        taken["valid_from"] = keep.valid_from = drop.valid_from
    moved = session.scalars(select(RegistryAttachmentRow).where(RegistryAttachmentRow.record_id == drop.id)).all()
    for a in moved:
        a.record_id = keep.id
    was = drop.status
    drop.status, drop.merged_into, drop.updated_at, keep.updated_at = "merged", keep.id, now(), now()
    _event(session, keep, actor, "merge", message, {"merged": drop.id, "took": taken,
                                                     "attachments": [a.id for a in moved]})
    _event(session, drop, actor, "merged", message, {"into": keep.id, "status_before": was})
    return taken


def history(session: Session, record_id: int) -> list[RegistryEventRow]:
    """A record's events, oldest first, with those of the records merged into it."""
    merged = session.scalars(select(RegistryRecordRow.id).where(RegistryRecordRow.merged_into == record_id)).all()
    return list(session.scalars(select(RegistryEventRow)
                                .where(RegistryEventRow.record_id.in_([record_id, *merged]))
                                .order_by(RegistryEventRow.at, RegistryEventRow.id)))


def get(session: Session, record_id: int) -> RegistryRecordRow:
    """The record, or a clear not-found error."""
    row = session.get(RegistryRecordRow, record_id)
    if row is None:
        raise YangfanError.single("registry.not_found", f"没有记录 #{record_id}", f"no record #{record_id}")
    return row


# --- search --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Search:
    """What a registry list is filtered by; empty fields do not filter."""

    text: str = ""
    kind: str = ""
    category: str = ""
    #: Any of these categories (the categories one count takes).
    categories: tuple[str, ...] = ()
    sector: str = ""
    org_unit: str = ""
    operator: str = ""
    status: str = ""
    year: int | None = None
    #: Records counted at this date (recognised or withdrawn, valid then): the records behind a count.
    counted_at: date | None = None
    ids: tuple[int, ...] = ()
    demo: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None, ())}


def _text(t: str) -> ColumnElement[bool]:
    """A whole credit code through its index; any other text within the folded name, initials and keys."""
    if uscc.problem(t) is None:
        return RegistryRecordRow.uscc == uscc.compact(t)
    return RegistryRecordRow.search_text.contains(names.folded(t), autoescape=True)


def matching(f: Search, tree: OrgUnitTree) -> Select[Any]:
    """The SQL of a search, without order or paging."""
    q = select(RegistryRecordRow)
    if f.text.strip():
        q = q.where(_text(f.text.strip()))
    for column, value in ((RegistryRecordRow.kind, f.kind), (RegistryRecordRow.category, f.category),
                          (RegistryRecordRow.sector, f.sector), (RegistryRecordRow.operator, f.operator),
                          (RegistryRecordRow.status, f.status)):
        if value:
            q = q.where(column == value)
    if f.categories:
        q = q.where(RegistryRecordRow.category.in_(f.categories))
    if f.org_unit and f.org_unit in tree.units and f.org_unit != "100000":
        q = q.where(RegistryRecordRow.org_unit_code.in_([f.org_unit, *tree.descendants(f.org_unit)]))
    if f.year:
        q = q.where(RegistryRecordRow.valid_from >= date(f.year, 1, 1),
                    RegistryRecordRow.valid_from <= date(f.year, 12, 31))
    if f.counted_at:
        q = q.where(RegistryRecordRow.status.in_(("recognised", "withdrawn")),
                    RegistryRecordRow.valid_from <= f.counted_at,
                    or_(RegistryRecordRow.valid_to.is_(None), RegistryRecordRow.valid_to >= f.counted_at))
    else:
        q = q.where(RegistryRecordRow.status != "merged") if not f.status else q
    if f.ids:
        q = q.where(RegistryRecordRow.id.in_(f.ids))
    if f.demo is not None:
        q = q.where(RegistryRecordRow.demo.is_(f.demo))
    return q


def search(session: Session, f: Search, tree: OrgUnitTree, grants: Sequence[Grant], limit: int = 50,
           offset: int = 0) -> tuple[int, list[RegistryRecordRow]]:
    """How many records match, and one page of them (newest first) that ``grants`` may read."""
    q = visible(matching(f, tree), grants, tree)
    # The count rides along with the page (one scan of the table, not two).
    found = session.execute(q.add_columns(func.count().over().label("total"))
                            .order_by(RegistryRecordRow.id.desc()).limit(limit).offset(offset)).all()
    if found:
        return int(found[0].total), [r[0] for r in found]
    total = session.scalar(select(func.count()).select_from(q.subquery())) if offset else 0
    return int(total or 0), []
