"""kill -9 at random points of real `yangfan import` and `yangfan rebuild` runs: the store keeps each file
whole or not at all, the analytics catch up with every committed change once the platform runs again, and the
audit log verifies. The figures (kills and where they landed) go to test-artifacts/kill9.json."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select

from tests.builders import platform
from yangfan.analytics.query import Query
from yangfan.collect.importer import import_content
from yangfan.context import Yangfan
from yangfan.store import audit
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow, ImportBatchRow
from yangfan.store.repository import checksum

ROOT = Path(__file__).resolve().parents[2]
YANGFAN = str(ROOT / ".venv" / "bin" / "yangfan")
ROUNDS = 24
MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]


def _file(y: Yangfan, n: int) -> bytes:
    cities = sorted(u.code for u in y.tree.at_level(2) if u.is_place)
    lines = ["indicator,org_unit,period,value,unit"]
    lines += [f"bs_5g,{c},{m},{100 * n + i},个" for i, (c, m) in enumerate((c, m) for c in cities for m in MONTHS)]
    return ("\n".join(lines) + "\n").encode()


def _rows_of(y: Yangfan, content: bytes) -> int | None:
    """How many values the store holds from this file: None when its batch is absent."""
    with session_scope(y.engine) as s:
        batch = s.scalar(select(ImportBatchRow.id).where(ImportBatchRow.checksum == checksum(content)))
        if batch is None:
            return None
        return int(s.scalar(select(func.count()).select_from(DataValueRow).where(DataValueRow.batch_id == batch))
                   or 0)


def test_kill_9_during_imports_and_rebuilds(tmp_path: Path, artifacts_dir: Path) -> None:
    y = platform(tmp_path / "data")
    env = {**os.environ, "YANGFAN_DATA_DIR": str(tmp_path / "data")}
    rng = random.Random(20261203)
    landed = {"before_commit": 0, "committed_not_built": 0, "built": 0}
    kills = {"import": 0, "rebuild": 0}
    # How long each command runs when left alone, learnt from the runs that finished before their kill: the kill
    # is drawn within that span, so that it lands in start-up, write or build on a fast machine as on a slow one.
    span = {"import": 3.5, "rebuild": 3.5}
    for n in range(1, ROUNDS + 1):
        content = _file(y, n)
        expected_rows = content.count(b"\n") - 1
        if n % 2:  # `yangfan import` commits the file, then rebuilds
            path = tmp_path / f"batch{n}.csv"
            path.write_bytes(content)
            command, kind = [YANGFAN, "import", str(path)], "import"
        else:  # the file is committed first; `yangfan rebuild` is what gets killed
            import_content(y.engine, content, f"batch{n}.csv", y.catalog, y.tree)
            command, kind = [YANGFAN, "rebuild"], "rebuild"
        started = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 0.95) * span[kind])
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills[kind] += 1
        else:
            span[kind] = min(span[kind], time.monotonic() - started)
        proc.wait()
        stored = _rows_of(y, content)
        assert stored in (None, expected_rows), f"round {n}: {stored} of {expected_rows} rows stored"
        if stored is None:
            landed["before_commit"] += 1
        elif y.behind():
            landed["committed_not_built"] += 1
        else:
            landed["built"] += 1
        with session_scope(y.engine) as s:
            verdict = audit.verify(s)
        assert verdict.intact, f"round {n}: {verdict.reason}"
        # The platform runs again: it applies whatever was committed and not yet built.
        y.follow()
        assert not y.behind()
        if stored:
            q = Query.parse(["bs_5g"], [sorted(u.code for u in y.tree.at_level(2) if u.is_place)[0]], ["2025-01"])
            assert y.query(q)[0].value == 100 * n
    figures = {"rounds": ROUNDS, "kills": kills, "landed": landed}
    (artifacts_dir / "kill9.json").write_text(json.dumps(figures, indent=1))
    assert sum(kills.values()) >= 20, figures
    assert landed["before_commit"] and landed["committed_not_built"], figures  # both dangerous windows were hit
