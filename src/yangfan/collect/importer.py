"""Import files of data values: all-or-nothing per file, idempotent by checksum."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from yangfan.catalog import Catalog
from yangfan.collect.rows import validate_rows
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store.db import session_scope
from yangfan.store.repository import WriteResult, checksum, write_batch
from yangfan.store.values import NewValue, Status


def read_csv_rows(content: bytes, file: str) -> list[dict[str, str | None]]:
    """Rows of a UTF-8 CSV file (a BOM is allowed)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise YangfanError.single("file.encoding", "文件不是 UTF-8 编码", "file is not UTF-8 encoded",
                                  Location(file=file)) from None
    return list(csv.DictReader(io.StringIO(text)))


def import_csv(engine: Engine, path: Path, catalog: Catalog, tree: OrgUnitTree, *, status: Status = "approved",
               source_kind: str = "import", user: str = "system") -> WriteResult:
    """Validate every row of ``path`` and store them in one transaction, or store nothing."""
    return import_content(engine, path.read_bytes(), path.name, catalog, tree, status=status,
                          source_kind=source_kind, user=user)


def import_content(engine: Engine, content: bytes, file_name: str, catalog: Catalog, tree: OrgUnitTree, *,
                   status: Status = "approved", source_kind: str = "import", user: str = "system",
                   allowed: Callable[[NewValue], bool] | None = None) -> WriteResult:
    """Import a CSV's bytes: every row valid and (when ``allowed`` is given) within the user's scope, or nothing."""
    rows = read_csv_rows(content, file_name)
    values = validate_rows(rows, catalog, tree, file_name, source_kind=source_kind,
                           source_title="" if source_kind == "published" else file_name)
    if allowed is not None:
        denied = [Issue("permission.denied", f"无权写入组织单元 {v.org_unit} 的数据",
                        f"no permission to write data of org unit {v.org_unit}",
                        Location(file=file_name, row=v.source_row, field="org_unit"))
                  for v in values if not allowed(v)]
        if denied:
            raise YangfanError(denied)
    with session_scope(engine) as session:
        return write_batch(session, file_name, checksum(content), values, status=status, user=user)
