"""Calls for applications (征集) and their attachments: a call is open between two dates; an application is a
record ``applied`` under the call, with PDFs that are type- and size-checked and stored outside the web root."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yangfan.access.accounts import Grant
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.registry import records
from yangfan.registry.kinds import Registry
from yangfan.registry.records import RecordInput
from yangfan.store import audit
from yangfan.store.models import RegistryAttachmentRow, RegistryCallRow, RegistryRecordRow

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_RECORD = 10
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True, slots=True)
class CallInput:
    kind: str
    category: str
    title_zh: str
    title_en: str
    description: str
    opens: date
    closes: date


def open_call(session: Session, reg: Registry, grants: Sequence[Grant], actor: str, c: CallInput) -> RegistryCallRow:
    """Open a call (the ministry's)."""
    if not records.may_decide(grants):
        raise records.refused("发起征集", "open a call")
    kind = reg.kinds.get(c.kind)
    if kind is None or (c.category and c.category not in kind.categories):
        raise YangfanError.single("registry.call_kind", f"未知的名录类别或子类 {c.kind}/{c.category}",
                                  f"unknown kind or category {c.kind}/{c.category}")
    if c.closes < c.opens or not c.title_zh.strip():
        raise YangfanError.single("registry.call", "征集须有标题，截止日期不早于开始日期",
                                  "a call needs a title and must close after it opens")
    row = RegistryCallRow(kind=c.kind, category=c.category, title_zh=c.title_zh.strip(), title_en=c.title_en.strip(),
                          description=c.description, opens=c.opens, closes=c.closes, created_by=actor)
    session.add(row)
    session.flush()
    audit.append(session, actor, "registry.call", "registry_call", str(row.id), after={"title": row.title_zh})
    return row


def calls(session: Session, today: date | None = None) -> list[tuple[RegistryCallRow, int]]:
    """Calls (open ones only when ``today`` is given), newest first, with their number of applications."""
    q = select(RegistryCallRow).order_by(RegistryCallRow.closes.desc(), RegistryCallRow.id.desc())
    if today is not None:
        q = q.where(RegistryCallRow.opens <= today, RegistryCallRow.closes >= today)
    counts = {call: int(n) for call, n in session.execute(
        select(RegistryRecordRow.call_id, func.count()).group_by(RegistryRecordRow.call_id))}
    return [(c, counts.get(c.id, 0)) for c in session.scalars(q)]


def apply(session: Session, reg: Registry, tree: OrgUnitTree, grants: Sequence[Grant], actor: str, call_id: int,
          r: RecordInput, today: date) -> RegistryRecordRow:
    """An application under an open call: a record ``applied``, of the call's kind (and category)."""
    call = session.get(RegistryCallRow, call_id)
    if call is None:
        raise YangfanError.single("registry.call_unknown", f"没有征集 #{call_id}", f"no call #{call_id}")
    if not call.opens <= today <= call.closes:
        raise YangfanError.single("registry.call_closed",
                                  f"征集“{call.title_zh}”不在申报期内（{call.opens}—{call.closes}）",
                                  f"the call '{call.title_en or call.title_zh}' is not open "
                                  f"({call.opens}–{call.closes})")
    if r.kind != call.kind or (call.category and r.category != call.category):
        raise YangfanError.single("registry.call_kind", "申报的类别与征集不符",
                                  "the application is not of the call's kind")
    return records.create(session, reg, tree, grants, actor, RecordInput(**{**records._fields(r), "call_id": call_id}),
                          status="applied", message=f"申报征集 #{call_id} / application to call #{call_id}")


def attach(session: Session, folder: Path, grants: Sequence[Grant], reg: Registry, tree: OrgUnitTree, actor: str,
           row: RegistryRecordRow, file_name: str, content: bytes) -> RegistryAttachmentRow:
    """Attach a PDF: refused unless it is a PDF (by its bytes, not its name) of at most 10 MB; stored by its
    SHA-256 under ``folder`` (never served as a static file), so the same file twice is stored once."""
    if not records.may_enter(grants, reg, row.kind, row.org_unit_code, row.operator, tree):
        raise records.refused("为该记录上传附件", "attach files to this record")
    if not content.startswith(PDF_MAGIC):
        raise YangfanError.single("registry.attachment_type", f"附件“{file_name}”不是 PDF 文件：请上传 PDF",
                                  f"'{file_name}' is not a PDF: upload a PDF")
    if len(content) > MAX_BYTES:
        raise YangfanError.single("registry.attachment_size",
                                  f"附件“{file_name}”为 {len(content) / 1048576:.1f} MB，超过 10 MB 上限",
                                  f"'{file_name}' is {len(content) / 1048576:.1f} MB, above the 10 MB limit")
    n = session.scalar(select(func.count()).where(RegistryAttachmentRow.record_id == row.id)) or 0
    if n >= MAX_PER_RECORD:
        raise YangfanError.single("registry.attachment_count", f"每条记录最多 {MAX_PER_RECORD} 个附件",
                                  f"at most {MAX_PER_RECORD} attachments a record")
    digest = hashlib.sha256(content).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.pdf"
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    safe = Path(file_name).name[:200] or "attachment.pdf"
    a = RegistryAttachmentRow(record_id=row.id, file_name=safe, sha256=digest, size=len(content), uploaded_by=actor,
                              at=records.now())
    session.add(a)
    session.flush()
    records._event(session, row, actor, "attach", "", {"file": safe, "sha256": digest, "size": len(content)})
    return a


def attachment_path(folder: Path, a: RegistryAttachmentRow) -> Path:
    """Where an attachment's bytes are."""
    return folder / f"{a.sha256}.pdf"
