"""Faults the sandbox injects on demand, and the ``--faults`` SPEC that asks for them.

SPEC is a comma-separated list (``orderfsm sandbox --faults lose=1,429=2@1``):

=================  ===========================================================
``lose=N``         the next N ``POST`` calls do their work, then the connection
                   closes mid-answer (a lost answer)
``429=N[@S]``      the next N API calls answer ``429`` with ``Retry-After: S``
                   (default 1)
``5xx=N``          the next N API calls answer ``500`` without doing anything
``outage=S``       every API call answers ``503`` for S seconds from now
``drop=N``         the next N webhook deliveries are never sent
``dup=N``          the next N webhook deliveries are sent twice
``reorder``        webhooks are sent in swapped pairs (the later one first)
=================  ===========================================================
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from orderfsm.errors import ConfigurationError

DEFAULT_RETRY_AFTER_S = 1


@dataclass(frozen=True, slots=True)
class Faults:
    """What to inject, as counts still to come; parsed from SPEC or the control API."""

    lose_answers: int = 0
    rate_limited: int = 0
    retry_after_s: int = DEFAULT_RETRY_AFTER_S
    server_errors: int = 0
    outage_s: float = 0.0
    drop_webhooks: int = 0
    duplicate_webhooks: int = 0
    reorder_webhooks: bool = False


_COUNTS = {
    "lose": "lose_answers",
    "5xx": "server_errors",
    "drop": "drop_webhooks",
    "dup": "duplicate_webhooks",
}


def parse_faults(spec: str) -> Faults:
    """Read a SPEC (see the module docstring); a bad part is one ``ConfigurationError`` line."""
    faults = Faults()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = part.partition("=")
        try:
            if name in _COUNTS:
                changes: dict[str, Any] = {_COUNTS[name]: _count(value)}
                faults = replace(faults, **changes)
            elif name == "429":
                count, _, seconds = value.partition("@")
                faults = replace(
                    faults,
                    rate_limited=_count(count),
                    retry_after_s=_count(seconds) if seconds else DEFAULT_RETRY_AFTER_S,
                )
            elif name == "outage":
                faults = replace(faults, outage_s=float(value))
            elif name == "reorder" and not value:
                faults = replace(faults, reorder_webhooks=True)
            else:
                raise _bad_fault(part)
        except ValueError:  # int()/float() could not read the value
            raise _bad_fault(part) from None
        if (
            min(
                faults.lose_answers,
                faults.server_errors,
                faults.drop_webhooks,
                faults.duplicate_webhooks,
                faults.rate_limited,
                faults.retry_after_s,
                faults.outage_s,
            )
            < 0
        ):
            raise _bad_fault(part)
    return faults


def _bad_fault(part: str) -> ConfigurationError:
    return ConfigurationError(
        f"fault {part!r} is not one of lose=N, 429=N[@S], 5xx=N, outage=S, drop=N, dup=N, reorder"
    )


def _count(text: str) -> int:
    return int(text)


class FaultPlan:
    """The faults still to inject; each check consumes one (thread-safe)."""

    def __init__(self, faults: Faults, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._faults = faults
        self._outage_until = clock() + faults.outage_s if faults.outage_s > 0 else 0.0

    def set(self, faults: Faults) -> None:
        """Replace what is still to come (an outage window starts now)."""
        with self._lock:
            self._faults = faults
            self._outage_until = self._clock() + faults.outage_s if faults.outage_s > 0 else 0.0

    def in_outage(self) -> bool:
        """Whether DR is down right now."""
        with self._lock:
            return self._clock() < self._outage_until

    def take(self, field: str) -> bool:
        """Consume one of the counted fault ``field`` if any is left."""
        with self._lock:
            left: int = getattr(self._faults, field)
            if left <= 0:
                return False
            changes: dict[str, Any] = {field: left - 1}
            self._faults = replace(self._faults, **changes)
            return True

    @property
    def retry_after_s(self) -> int:
        """The ``Retry-After`` a 429 burst answers."""
        return self._faults.retry_after_s

    @property
    def reorder(self) -> bool:
        """Whether webhooks go out in swapped pairs."""
        return self._faults.reorder_webhooks
