"""Import files of data values: all-or-nothing per file, idempotent by checksum."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import Engine

from yangfan.catalog import Catalog
from yangfan.collect.rows import validate_rows
from yangfan.errors import Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store.db import session_scope
from yangfan.store.repository import WriteResult, checksum, write_batch
from yangfan.store.values import Status


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
    content = path.read_bytes()
    rows = read_csv_rows(content, path.name)
    values = validate_rows(rows, catalog, tree, path.name, source_kind=source_kind,
                           source_title="" if source_kind == "published" else path.name)
    with session_scope(engine) as session:
        return write_batch(session, path.name, checksum(content), values, status=status, user=user)
