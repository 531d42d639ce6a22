"""The background worker that keeps the analytics up with the store.

A request that changes released values commits its change to the store's log and returns; the worker applies
the logged changes in order, the ones that arrived while it worked together in one build. Every process of a
server runs a worker, and of the processes sharing an analytics file exactly one builds: the one holding its
leader lock (a file lock, so the kernel hands it on when that process dies). The others only read the
snapshots it writes. The leader also polls the log, for changes committed by other processes or by the CLI.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class Builder:
    """One worker thread of one process; ``follow`` applies what the store holds and the analytics do not."""

    def __init__(self, follow: Callable[[], object], leader_lock: Path, poll_seconds: float = 1.0,
                 after: Callable[[], object] | None = None) -> None:
        """``after`` runs after each build this worker applies (a server computes its cockpit again, so that
        the first visitor after an approval does not wait for it)."""
        self._follow, self._lock_path, self.poll, self._after = follow, leader_lock, poll_seconds, after
        self._wake, self._stop = threading.Event(), threading.Event()
        self._lock: IO[str] | None = None
        self._thread: threading.Thread | None = None
        #: Builds applied by this worker, and the last failure (for the build status and the logs).
        self.builds = 0
        self.failure: str | None = None

    @property
    def leader(self) -> bool:
        """Whether this process is the one that builds."""
        return self._lock is not None

    def start(self) -> None:
        # Not a daemon: the interpreter must never stop under a running DuckDB build (the process aborts).
        # The loop ends with the main thread, or at ``stop``.
        self._thread = threading.Thread(target=self._run, name="yangfan-builder", daemon=False)
        self._thread.start()

    def notify(self) -> None:
        """A change was committed: apply it now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._lock is not None:
            self._lock.close()  # releases the leader lock: another process takes over
            self._lock = None

    def _try_lead(self) -> bool:
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self._lock_path, "a")  # noqa: SIM115 — held open for as long as this process leads
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock = handle
        log.info("this process builds the analytics")
        return True

    def _run(self) -> None:
        main = threading.main_thread()
        while not self._stop.is_set() and main.is_alive():
            if self.leader or self._try_lead():
                try:
                    if self._follow():
                        self.builds += 1
                        if self._after is not None:  # beside the next build, not before it
                            threading.Thread(target=self._after, name="yangfan-after-build", daemon=False).start()
                    self.failure = None
                except Exception as exc:  # noqa: BLE001 — a failed build is retried; the snapshot keeps serving
                    self.failure = f"{type(exc).__name__}: {exc}"
                    log.exception("analytics build failed; the last snapshot keeps serving")
                    self._stop.wait(5 * self.poll)
            self._wake.wait(self.poll)
            self._wake.clear()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
