"""Bulk import of registry records from a workbook (or CSV): checked whole, written whole or not at all.

Each row is a record; a row whose key (credit code, own number, or name and place) matches a live record
updates it, or changes nothing when it says the same. A file imported before is a no-op (its checksum). A dry
run checks and reports what would happen, writing nothing. Every problem names its row and field in Chinese
and English; one problem and nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yangfan.access.accounts import Grant
from yangfan.collect.xlsx import is_workbook, read_xlsx
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.registry import names, records
from yangfan.registry.kinds import Registry
from yangfan.registry.records import RecordInput
from yangfan.store import audit
from yangfan.store.models import ImportBatchRow, RegistryRecordRow
from yangfan.store.repository import checksum

#: Column names and the Chinese headers accepted for them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("类别", "名录类别"), "category": ("子类", "类型"), "name": ("名称",),
    "uscc": ("统一社会信用代码", "信用代码"), "ref": ("编号", "标准号", "型号"), "sector": ("行业",),
    "org_unit": ("地区", "地区代码"), "operator": ("运营商",), "valid_from": ("生效日期", "认定日期"),
    "valid_to": ("失效日期",), "status": ("状态",),
}
REQUIRED = ("kind", "category", "name", "org_unit")
_DATE = re.compile(r"^(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?$")
MAX_ROWS = 100_000


@dataclass
class BulkResult:
    """What an import did (or, dry, would do)."""

    file: str
    rows: int
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    repeated: bool = False
    dry_run: bool = False
    planned_new: int = 0
    planned_changes: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "rows": self.rows, "created": len(self.created) or self.planned_new,
                "updated": len(self.updated) or self.planned_changes, "unchanged": self.unchanged,
                "repeated": self.repeated, "dry_run": self.dry_run}


def _header(text: str, reg: Registry) -> str:
    t = text.strip()
    for name, aliases in COLUMNS.items():
        if t == name or t in aliases:
            return name
    for kind in reg.kinds.values():
        for a, label in kind.attrs.items():
            if t in (a, f"attr.{a}", label.zh):
                return f"attr.{a}"
    return t


def read(content: bytes, file: str, reg: Registry) -> list[tuple[int, dict[str, str]]]:
    """The rows of an xlsx (first sheet) or a UTF-8 CSV as column → text, with their row numbers."""
    if is_workbook(content, file):
        found = read_xlsx(content, file)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise YangfanError.single("registry.encoding", "CSV 须为 UTF-8 编码（或上传 xlsx）",
                                      "a CSV must be UTF-8 (or upload an xlsx)", Location(file=file)) from None
        found = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)
                 if any(c.strip() for c in row)]
    if not found:
        raise YangfanError.single("registry.empty", "文件为空", "the file is empty", Location(file=file))
    (_, head), body = found[0], found[1:]
    names = [_header(h, reg) for h in head]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h and h not in COLUMNS and not h.startswith("attr.")]
    if missing or unknown:
        raise YangfanError([Issue("registry.columns", f"缺少列：{'、'.join(missing)}" if missing else
                                  f"不认识的列：{'、'.join(unknown)}",
                                  f"missing columns: {', '.join(missing)}" if missing else
                                  f"unknown columns: {', '.join(unknown)}", Location(file=file, row=1))])
    if len(body) > MAX_ROWS:
        raise YangfanError.single("registry.too_many", f"一次最多导入 {MAX_ROWS} 行", f"at most {MAX_ROWS} rows a file",
                                  Location(file=file))
    return [(n, {k: (cells[i].strip() if i < len(cells) else "") for i, k in enumerate(names) if k})
            for n, cells in body]


def _date(text: str, n: int, column: str, file: str, issues: list[Issue]) -> date | None:
    if not text:
        return None
    m = _DATE.match(text.split(" ")[0])
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    issues.append(Issue("registry.date", f"日期“{text}”无效，应为 2025-03-31",
                        f"date '{text}' is not valid: use 2025-03-31", Location(file=file, row=n, field=column)))
    return None


def parse(rows: Sequence[tuple[int, dict[str, str]]], file: str, reg: Registry, tree: OrgUnitTree
          ) -> tuple[list[tuple[int, RecordInput, str]], list[Issue]]:
    """Each row as a record input and the status it asks for, and every problem of every row."""
    out: list[tuple[int, RecordInput, str]] = []
    issues: list[Issue] = []
    for n, row in rows:
        before = len(issues)
        vf = _date(row.get("valid_from", ""), n, "valid_from", file, issues)
        vt = _date(row.get("valid_to", ""), n, "valid_to", file, issues)
        status = row.get("status", "")
        if status and status not in ("applied", "recognised") and status not in ("申报中", "已认定"):
            issues.append(Issue("registry.status", f"状态“{status}”无效：填“申报中”或“已认定”",
                                f"status '{status}' is not valid: 'applied' or 'recognised'",
                                Location(file=file, row=n, field="status")))
        r = RecordInput(row.get("kind", ""), row.get("category", ""), row.get("name", ""), row.get("org_unit", ""),
                        row.get("uscc") or None, row.get("ref", ""), row.get("sector", ""), row.get("operator", ""),
                        vf, vt, {k.removeprefix("attr."): v for k, v in row.items() if k.startswith("attr.") and v})
        issues += records.problems(reg, tree, r, Location(file=file, row=n))
        if len(issues) == before:
            out.append((n, r, {"申报中": "applied", "已认定": "recognised"}.get(status, status)))
    return out, issues


def run(session: Session, reg: Registry, tree: OrgUnitTree, grants: Sequence[Grant], actor: str, content: bytes,
        file: str, dry_run: bool = False) -> BulkResult:
    """Import a file of records in the caller's transaction: all rows or none (a YangfanError lists every
    problem); a file imported before changes nothing."""
    digest = "registry:" + checksum(content)[:55]
    rows = read(content, file, reg)
    result = BulkResult(file, len(rows), dry_run=dry_run)
    if session.scalar(select(ImportBatchRow.id).where(ImportBatchRow.checksum == digest)) is not None:
        result.repeated, result.unchanged = True, len(rows)
        return result
    plan = _plan(session, reg, tree, grants, rows, file)
    for _n, r, _status, existing in plan:
        if existing is None:
            result.planned_new += 1
        elif any(v[0] != v[1] for v in _diff(existing, r).values()):
            result.planned_changes += 1
        else:
            result.unchanged += 1
    if dry_run:
        return result
    session.add(ImportBatchRow(file_name=file, checksum=digest, row_count=len(rows), imported_by=actor))
    for n, r, status, existing in plan:
        note = f"导入 {file} 第 {n} 行 / imported from {file}, row {n}"
        if existing is None:
            result.created.append(records.create(session, reg, tree, grants, actor, r, status=status or None,
                                                  source=file, message=note).id)
        elif records.update(session, reg, tree, grants, actor, existing, r, note):
            result.updated.append(existing.id)
    result.planned_new = result.planned_changes = 0
    audit.append(session, actor, "registry.import", "import_batch", digest, after=result.as_dict())
    return result


Planned = list[tuple[int, RecordInput, str, RegistryRecordRow | None]]


def _plan(session: Session, reg: Registry, tree: OrgUnitTree, grants: Sequence[Grant],
          rows: Sequence[tuple[int, dict[str, str]]], file: str) -> Planned:
    """Each row checked, with the live record it matches; a YangfanError naming every problem of every row."""
    parsed, issues = parse(rows, file, reg, tree)
    seen: dict[tuple[str, str], int] = {}
    plan: Planned = []
    for n, r, status in parsed:
        r = records.checked(reg, tree, r)
        where = Location(file=file, row=n)
        key = (r.kind, r.uscc or r.ref or f"{names.normalise(r.name)}@{r.org_unit}/{r.operator}")
        if key in seen:
            issues.append(Issue("registry.file_duplicate", f"与第 {seen[key]} 行是同一条记录",
                                f"the same record as row {seen[key]}", where))
            continue
        seen[key] = n
        if not records.may_enter(grants, reg, r.kind, r.org_unit, r.operator, tree):
            issues.append(Issue("permission.registry", "无权登记该地区或运营商的记录",
                                "not allowed to enter records of this place or operator",
                                Location(file=file, row=n, field="org_unit")))
            continue
        if status and status != "applied" and not records.may_decide(grants):
            issues.append(Issue("permission.registry_status", "只有部级用户可直接登记为已认定",
                                "only the ministry may enter records as recognised", Location(file, n, "status")))
            continue
        plan.append((n, r, status, records.same_key(session, reg, r)))
    if issues:
        raise YangfanError(issues)
    return plan


def _diff(row: RegistryRecordRow, r: RecordInput) -> dict[str, tuple[object, object]]:
    now = records.snapshot(row)
    new = {"name": r.name, "uscc": r.uscc, "ref": r.ref, "sector": r.sector, "org_unit": r.org_unit,
           "operator": r.operator, "category": r.category,
           "valid_from": str(r.valid_from) if r.valid_from else now["valid_from"],
           "valid_to": str(r.valid_to) if r.valid_to else None, "attrs": r.attrs}
    return {k: (now[k], v) for k, v in new.items()}
