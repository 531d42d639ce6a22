"""A sliding-window limit on events per key (login attempts per client address), in memory.

Kept per server process: with several workers each counts its own, which bounds an attacker at
workers × limit; the per-account lockout in ``access.sessions`` holds across processes.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class SlidingWindow:
    """At most ``limit`` events per key within any ``seconds``."""

    def __init__(self, limit: int, seconds: float = 60.0) -> None:
        self.limit, self.seconds = limit, seconds
        self._events: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for ``key`` if it is within the limit; False (and nothing recorded) if not."""
        t = time.monotonic() if now is None else now
        with self._lock:
            events = self._events[key]
            while events and events[0] <= t - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(t)
            return True
