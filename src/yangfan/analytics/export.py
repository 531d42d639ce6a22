"""Read the released data values out of the store as Arrow columns, through ADBC.

SQLite is read in a child process: the ADBC driver carries its own copy of the SQLite library,
and two copies in one process break each other's POSIX locks (and can corrupt the file; see
"How To Corrupt An SQLite Database File", §2.2.1). PostgreSQL is read in process.

    python -m yangfan.analytics.export STORE_URL OUT.arrow
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import URL, make_url

from yangfan.errors import YangfanError
from yangfan.store.values import RELEASED

FACT_SCHEMA = pa.schema([("value_id", pa.int64()), ("indicator", pa.string()), ("org_unit", pa.string()),
                         ("period", pa.string()), ("disagg", pa.string()), ("value", pa.float64()),
                         ("qualifier", pa.string()), ("scope", pa.string()), ("source_id", pa.int64()),
                         ("status", pa.string()), ("preferred", pa.bool_()),
                         ("priority", pa.int64())])
FACT_COLUMNS = tuple(FACT_SCHEMA.names)
EXPORT_SQL = f"""
SELECT id, indicator_code, org_unit_code, period_code, disaggregation, value, qualifier, scope, source_id, status,
       preferred, priority
FROM data_value
WHERE is_current AND status IN ({", ".join(repr(s) for s in RELEASED)})
"""
_CHUNK = 500_000


def _connect(url: URL) -> Any:
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite

        conn = sqlite.connect(url.database)
        with conn.cursor() as cur:  # a writer may hold the lock for a moment: wait, don't fail
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.fetchall()
        return conn
    if url.get_backend_name() == "postgresql":
        import adbc_driver_postgresql.dbapi as postgresql

        return postgresql.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    raise YangfanError.single("store.dialect", f"不支持的数据库：{url.get_backend_name()}（支持 SQLite、PostgreSQL）",
                              f"unsupported database {url.get_backend_name()} (SQLite and PostgreSQL are)")


def _read_range(url: URL, lo: int, hi: int) -> pa.Table:
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"{EXPORT_SQL} AND id >= {int(lo)} AND id < {int(hi)}")
        table = cur.fetch_arrow_table()
    return table.rename_columns(list(FACT_COLUMNS)).cast(FACT_SCHEMA)


def read_facts(url: URL) -> pa.Table:
    """The facts, read over id ranges on parallel connections (reading is the slowest step of a rebuild)."""
    with _connect(url) as conn:  # held open so that the database stays open for the readers
        with conn.cursor() as cur:
            cur.execute("SELECT min(id), max(id) FROM data_value")
            lo, hi = cur.fetchone()
        if lo is None:
            return FACT_SCHEMA.empty_table()
        n = max(1, min(os.cpu_count() or 1, (hi - lo) // _CHUNK))
        step = (hi - lo) // n + 1
        with ThreadPoolExecutor(n) as pool:
            parts = list(pool.map(lambda i: _read_range(url, lo + i * step, lo + (i + 1) * step), range(n)))
    return pa.concat_tables(parts)


def select_facts(url: URL, where: str) -> pa.Table:
    """Released, current values matching the SQL condition ``where`` (built by the caller from codes), with the
    id of the store's last change in the table's metadata (``last_change``), both read in one transaction: the
    facts are the store as of that change."""
    with _connect(url) as conn, conn.cursor() as cur:
        if url.get_backend_name() == "postgresql":
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT coalesce(max(id), 0) FROM change_log")
        last = int(cur.fetchone()[0])
        cur.execute(f"{EXPORT_SQL} AND {where}")
        table = cur.fetch_arrow_table()
        conn.rollback()
    return table.rename_columns(list(FACT_COLUMNS)).cast(FACT_SCHEMA).replace_schema_metadata(
        {"last_change": str(last)})


def export_facts(url: URL, where: str | None = None) -> pa.Table:
    """Released, current data values of the store at ``url``: the preferred one of each key and the released
    alternatives from other sources (the analytics build falls back on one when the preferred fails a check).

    With ``where``: only the values matching it, with the store's last change (``select_facts``)."""
    if url.get_backend_name() != "sqlite":
        return read_facts(url) if where is None else select_facts(url, where)
    with tempfile.TemporaryDirectory(prefix="yangfan-export-") as tmp:
        out = Path(tmp) / "facts.arrow"
        done = subprocess.run([sys.executable, "-m", "yangfan.analytics.export",
                               url.render_as_string(hide_password=False), str(out), *([where] if where else [])],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"exporting the store failed: {done.stderr.strip()[-2000:]}")
        with pa.memory_map(str(out)) as source:
            return pa.ipc.open_file(source).read_all()


def main() -> None:
    """Child-process entry: write the facts of the store (those matching the optional condition) to an Arrow
    IPC file."""
    url, out = make_url(sys.argv[1]), sys.argv[2]
    table = select_facts(url, sys.argv[3]) if len(sys.argv) > 3 else read_facts(url)
    with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


if __name__ == "__main__":
    main()
