"""Possible duplicates among live records, for the merge page and ``yangfan registry duplicates``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yangfan.registry.names import Candidate, pairs
from yangfan.store.models import RegistryRecordRow

REASONS = {"uscc": ("统一社会信用代码相同", "same credit code"), "ref": ("编号相同", "same number"),
           "name": ("名称相近（去除有限公司、股份、集团等后）", "names alike once legal forms are set aside")}


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Two live records that may be one."""

    a: RegistryRecordRow
    b: RegistryRecordRow
    reason: str
    score: float

    def as_dict(self) -> dict[str, object]:
        return {"a": self.a.id, "a_name": self.a.name, "b": self.b.id, "b_name": self.b.name, "kind": self.a.kind,
                "reason": self.reason, "reason_zh": REASONS[self.reason][0], "reason_en": REASONS[self.reason][1],
                "score": round(self.score, 1)}


def find(session: Session, kind: str | None = None) -> list[Duplicate]:
    """Pairs of possible duplicates among records not merged or rejected, most alike first."""
    q = select(RegistryRecordRow).where(RegistryRecordRow.status.not_in(("merged", "rejected")))
    if kind:
        q = q.where(RegistryRecordRow.kind == kind)
    rows = {r.id: r for r in session.scalars(q)}
    found = pairs([Candidate(r.id, r.kind, r.name_norm, r.uscc, r.ref) for r in rows.values()])
    return [Duplicate(rows[p.a], rows[p.b], p.reason, p.score) for p in found]
