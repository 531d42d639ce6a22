"""Bulk import of registry records: dry run writes nothing, one bad row and nothing is written, the same
file twice changes nothing, a changed row updates its record with history."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from yangfan.access.accounts import Grant
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.registry import bulk, records
from yangfan.store.db import session_scope
from yangfan.store.models import RegistryEventRow, RegistryRecordRow

MINISTRY = [Grant(Role.administrator, None)]
HEAD = ["类别", "子类", "名称", "统一社会信用代码", "编号", "行业", "地区", "运营商", "生效日期", "发布机构"]
ROWS = [
    ["organisation", "supplier", "广州智联通信技术有限公司", "91440300708461136T", "", "power", "440100", "",
     "2025-03-01", ""],
    ["standard", "industry", "5G工厂技术要求", "", "YD/T 4001-2025", "industrial_internet", "110000", "", "2025/4/1",
     "中国通信标准化协会"],
    ["vpn", "shared", "南沙港专网", "", "", "transport", "440100", "cmcc", "2024年7月1日", ""],
]


def _xlsx(rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in [HEAD, *rows]:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _count(y: Yangfan) -> int:
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).select_from(RegistryRecordRow)) or 0)


def test_dry_run_then_import_then_repeat(y: Yangfan) -> None:
    content = _xlsx(ROWS)
    with session_scope(y.engine) as s:
        dry = bulk.run(s, y.registry, y.tree, MINISTRY, "ana", content, "名录.xlsx", dry_run=True)
    assert dry.as_dict()["created"] == 3 and _count(y) == 0
    with session_scope(y.engine) as s:
        done = bulk.run(s, y.registry, y.tree, MINISTRY, "ana", content, "名录.xlsx")
        standard = records.get(s, done.created[1])
        assert standard.ref == "YD/T 4001-2025" and '"body": "中国通信标准化协会"' in standard.attrs
        assert str(standard.valid_from) == "2025-04-01"
    assert len(done.created) == 3 and _count(y) == 3
    with session_scope(y.engine) as s:
        again = bulk.run(s, y.registry, y.tree, MINISTRY, "ana", content, "名录.xlsx")
    assert again.repeated and _count(y) == 3
    changed = [[*ROWS[0][:5], "health", *ROWS[0][6:]], *ROWS[1:]]
    with session_scope(y.engine) as s:
        update = bulk.run(s, y.registry, y.tree, MINISTRY, "ana", _xlsx(changed), "名录-修订.xlsx")
        assert len(update.updated) == 1 and update.unchanged == 2
        events = s.scalars(select(RegistryEventRow.detail).where(RegistryEventRow.action == "update")).all()
        assert '"sector": ["power", "health"]' in events[0]


def test_one_bad_row_and_nothing_is_written_each_problem_named(y: Yangfan) -> None:
    rows = [*ROWS, ["organisation", "supplier", "坏代码公司", "91440300708461136X", "", "", "440100", "",
                    "2025-13-01", ""],
            ["vpn", "shared", "南沙港专网", "", "", "", "440100", "cmcc", "", ""]]
    with session_scope(y.engine) as s, pytest.raises(YangfanError) as exc:
        bulk.run(s, y.registry, y.tree, MINISTRY, "ana", _xlsx(rows), "bad.xlsx")
    found = {(i.location.row, i.location.field or i.code) for i in exc.value.issues}
    assert (5, "uscc") in found and (5, "valid_from") in found
    assert (6, "registry.file_duplicate") in found
    assert all(i.location.file == "bad.xlsx" and i.message_zh and i.message_en for i in exc.value.issues)
    assert _count(y) == 0


def test_scope_is_checked_per_row(y: Yangfan) -> None:
    with session_scope(y.engine) as s, pytest.raises(YangfanError) as exc:
        bulk.run(s, y.registry, y.tree, [Grant(Role.operator_reporter, "ctcc")], "op", _xlsx(ROWS[2:]), "op.xlsx")
    assert exc.value.issues[0].code == "permission.registry" and exc.value.issues[0].location.row == 2
    assert _count(y) == 0


def test_unknown_columns_and_csv(y: Yangfan) -> None:
    with session_scope(y.engine) as s, pytest.raises(YangfanError, match="不认识的列"):
        bulk.run(s, y.registry, y.tree, MINISTRY, "ana", "类别,子类,名称,地区,颜色\n".encode(), "x.csv")
    csv_text = "kind,category,name,org_unit,valid_from\npolicy,policy,某政策,440000,2026-01-01\n"
    with session_scope(y.engine) as s:
        done = bulk.run(s, y.registry, y.tree, MINISTRY, "ana", csv_text.encode("utf-8-sig"), "p.csv")
    assert len(done.created) == 1
