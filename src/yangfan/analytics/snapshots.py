"""Snapshots of the analytics: each build is its own file, and the analytics path is a link to the newest.

A build writes a new file under ``snapshots/`` and then swaps the link in one rename, so a reader opens either
the old build or the new one, never half of one. Readers open the file the link points to, by its own name:
DuckDB keeps one database per path in a process, so a reader still holding the previous build (a page being
computed) and one opening the new build are two databases, as they must be. The last few snapshots are kept for
readers in other processes that resolved the link just before it moved.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

#: Snapshots kept besides the current one.
KEEP = 2


def folder(target: Path) -> Path:
    return target.parent / "snapshots"


def resolve(target: Path) -> Path:
    """The file of the build the analytics path points to now."""
    return Path(os.path.realpath(target))


def start(target: Path, suffix: str) -> Path:
    """A new file to build a snapshot into (removing what killed builds left behind: the caller holds the build
    lock, so no other build is writing)."""
    where = folder(target)
    where.mkdir(parents=True, exist_ok=True)
    current = resolve(target).name
    for stray in [*where.glob("*.building"), *where.glob("*.patching"), *where.glob("*.wal")]:
        if not stray.name.startswith(current):
            stray.unlink(missing_ok=True)
    return where / f"{uuid.uuid4().hex}.{suffix}"


def publish(target: Path, built: Path) -> None:
    """Make ``built`` the current snapshot: rename it into place, swap the link, drop old snapshots."""
    final = built.with_suffix(".duckdb")
    os.replace(built, final)
    link = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    link.symlink_to(os.path.relpath(final, target.parent))
    os.replace(link, target)  # atomic: a reader resolves the old link or the new one
    snapshots = sorted(folder(target).glob("*.duckdb"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in snapshots[KEEP + 1:]:
        if old != final:
            old.unlink(missing_ok=True)
            Path(f"{old}.wal").unlink(missing_ok=True)


@contextmanager
def writing(target: Path, patch: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a new snapshot (a copy of the current one when ``patch``), published when the block
    ends and removed if it fails: readers see the whole new build or none of it."""
    tmp = start(target, "patching" if patch else "building")
    if patch:
        shutil.copyfile(resolve(target), tmp)
    con = duckdb.connect(str(tmp), config={"preserve_insertion_order": False})
    try:
        yield con
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    publish(target, tmp)
