"""An uploaded file, checked the same way wherever it comes from (the upload page, the API, ``yangfan validate``):
a form's Excel template, or a long-format CSV/XLSX of data values (one value per row)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from yangfan.catalog import Catalog
from yangfan.collect.forms import OPERATOR_PREFIX, Form, form_or_error
from yangfan.collect.importer import read_rows
from yangfan.collect.reporting import check, check_return, key_for
from yangfan.collect.rows import validate_rows
from yangfan.collect.rules import Entry, Problem, Validation
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store.submissions import CellInput, CellKey, ReturnKey

Where = dict[CellKey, tuple[str | None, int | None, str | None]]


@dataclass(frozen=True, slots=True)
class Filled:
    """A form's template as filled: which return, the cells, and where each stood."""

    key: ReturnKey
    entered: dict[CellKey, CellInput]
    where: Where


def read_filled(content: bytes, file_name: str) -> Filled | None:
    """The return a workbook is the template of, or None for any other file (read as long-format values)."""
    if not file_name.lower().endswith((".xlsx", ".xlsm")) and not content.startswith(b"PK\x03\x04"):
        return None
    from yangfan.collect import xlsx_template

    if not xlsx_template.is_template(content):
        return None
    found = xlsx_template.read_template(content, file_name)
    return Filled(found.key, dict(found.entered), dict(found.where))


def _structural(issues: list[Issue], file_name: str) -> Validation:
    """A file's format problems (unknown indicator, bad number, wrong header) as hard problems."""
    return Validation(tuple(Problem(i.code, "hard", "", "", "", "", i.message_zh, i.message_en, None,
                                    i.location.file or file_name, None, i.location.row, i.location.field)
                            for i in issues))


def check_file(session: Session, content: bytes, file_name: str, catalog: Catalog, tree: OrgUnitTree,
               forms: dict[str, Form], today: date, may_see: Callable[[str, str], bool] | None = None) -> Validation:
    """Every problem of a file, hard and soft, without writing anything.

    ``may_see(org_unit, reporter)``: whose figures the caller may be shown. The rules quote the stored figures
    they compare with, so a file naming a unit outside the caller's scope is refused before any rule runs.
    """
    try:
        filled = read_filled(content, file_name)
        if filled is not None:
            form = form_or_error(forms, filled.key.form)
            key = key_for(form, filled.key.org_unit, filled.key.reporter, filled.key.period, tree)
            if may_see is not None and not may_see(key.org_unit, key.reporter):
                raise _outside(key.org_unit, file_name, None)
            return check_return(session, catalog, tree, form, key, filled.entered, today, file_name, filled.where)
        rows = read_rows(content, file_name)
        values = validate_rows([r for _, r in rows], catalog, tree, file_name, numbers=[n for n, _ in rows])
        if may_see is not None:
            outside = [v for v in values if not may_see(v.org_unit, _operator(v.disaggregation))]
            if outside:
                raise YangfanError([_outside(v.org_unit, file_name, v.source_row).issues[0] for v in outside])
    except YangfanError as exc:
        return _structural(list(exc.issues), file_name)
    header = list(rows[0][1].keys()) if rows else []
    column = get_column_letter(header.index("value") + 1) if "value" in header else None
    notes = {n: (r.get("note") or "") for n, r in rows}
    entries = [Entry(v, file_name, None, v.source_row, column, notes.get(v.source_row or 0, "")) for v in values]
    return check(session, catalog, tree, entries, today)


def _operator(disaggregation: str) -> str:
    return disaggregation.removeprefix(OPERATOR_PREFIX) if disaggregation.startswith(OPERATOR_PREFIX) else ""


def _outside(org_unit: str, file_name: str, row: int | None) -> YangfanError:
    return YangfanError.single("permission.denied", f"无权查看或报送组织单元 {org_unit} 的数据",
                               f"no permission to see or report data of org unit {org_unit}",
                               Location(file=file_name, row=row, field="org_unit"))
