"""What the DR client tells an observer about each request it sends (metrics, logs).

:class:`~orderfsm.adapters.digitalriver.client.DrClient` takes an optional
``on_call`` callback and hands it one :class:`DrCall` per HTTP request, a
retried GET counting once per attempt. The callback is the host's (or
:mod:`orderfsm.observability`'s): the client imports no metrics library.
A callback that raises is logged and ignored, so an observer can never turn
an answered call (a ``201`` to ``POST /orders``) into a lost one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)


class NoAnswer(StrEnum):
    """The ``status`` of a request DR never answered."""

    CONNECT_FAILED = "connect_failed"
    """Nothing was sent: DR cannot have acted on it."""
    TIMEOUT = "timeout"
    BROKEN = "broken"
    """The connection broke before the answer came."""


@dataclass(frozen=True, slots=True)
class DrCall:
    """One request to DR and how it ended."""

    call: str
    """The call with its path as a template, e.g. ``GET /orders/{id}`` (never an id)."""
    status: str
    """DR's HTTP status (``"201"``, ``"429"``) or a :class:`NoAnswer` value."""
    seconds: float
    """From sending to the answer (or the failure)."""

    @property
    def method(self) -> str:
        """``GET`` or ``POST``."""
        return self.call.partition(" ")[0]

    @property
    def endpoint(self) -> str:
        """The path template, e.g. ``/orders/{id}``."""
        return self.call.partition(" ")[2]


CallObserver = Callable[[DrCall], None]
"""Told of every request the client sends, from the sending thread."""


def tell(observer: CallObserver | None, call: DrCall) -> None:
    """Hand ``call`` to ``observer``; its errors are logged, never raised."""
    if observer is None:
        return
    try:
        observer(call)
    except Exception:
        log.exception("the DR client's call observer failed on %s", call.call)
