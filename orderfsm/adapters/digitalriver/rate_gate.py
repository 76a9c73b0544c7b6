"""A client-wide "send nothing before T" gate for DR's ``429 Retry-After``.

DR's limits are per secret key, not per call: once DR says wait, every
thread sharing the client waits, not only the one that was refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateGate:
    """Holds every sender until the latest ``Retry-After`` has elapsed; thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._not_before = 0.0

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (a shorter hold never shortens a longer one)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)

    def remaining(self) -> float:
        """Seconds until sending is allowed again (0 when it is)."""
        with self._lock:
            return max(0.0, self._not_before - self._clock())

    def wait(self) -> None:
        """Block until sending is allowed; re-checks, as another thread may extend the hold."""
        while (left := self.remaining()) > 0:
            self._sleep(left)
