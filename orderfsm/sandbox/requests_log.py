"""The API requests the sandbox received, stamped by its own monotonic clock.

Tests read it (``GET /_sandbox/requests``) to check what a client did, e.g.
that nothing arrived before a ``429``'s ``Retry-After`` had elapsed, measured
where the requests land rather than where they leave.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

MAX_KEPT = 10_000


class RequestLog:
    """The last :data:`MAX_KEPT` API requests: method, path, status, arrival time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_KEPT)

    def add(self, method: str, path: str, status: int, arrived: float) -> None:
        """Record one request (``arrived``: ``time.monotonic()`` in the sandbox process)."""
        with self._lock:
            self._entries.append({"method": method, "path": path, "status": status, "at": arrived})

    def entries(self) -> list[dict[str, Any]]:
        """Every kept request, oldest first."""
        with self._lock:
            return list(self._entries)
