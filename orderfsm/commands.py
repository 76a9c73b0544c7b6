"""What can be applied to orders: the platform's submit, DR's answers, DR's events.

The engine applies these one at a time (:meth:`~orderfsm.service.engine.Engine.apply`)
or many at once (:meth:`~orderfsm.service.engine.Engine.apply_many`); journals
are files of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Submit:
    """The platform created its order and called ``POST /orders``."""

    upstream_id: str
    checkout_id: str


@dataclass(frozen=True, slots=True)
class CreateOrderResponse:
    """What ``POST /orders`` answered."""

    upstream_id: str
    status: int
    body: Mapping[str, Any]
    decoded: bool = False
    """True when ``body`` is JSON text decoded by pydantic-core's ``from_json(text,
    allow_inf_nan=False)``, the DR adapter's own parser (as journals do): it is
    then checked for the input limits as its text would be, not walked whole."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A DR event: the raw body as received, and/or its JSON if it was decoded already."""

    raw: str | bytes | None
    """The body as received (``None``: only its decoded JSON was given)."""
    data: Mapping[str, Any] | None = None
    """The decoded body, when the reader had to decode it anyway (it is not decoded twice).

    Given with ``raw``, it must be ``raw`` decoded by pydantic-core's
    ``from_json(raw, allow_inf_nan=False)``, the DR adapter's own parser (as
    journals do): it is then checked for the input limits as ``raw`` would be.
    Given alone, it is walked whole."""

    def text(self) -> str:
        """The body as text, as an event waiting for its order keeps it."""
        if self.raw is None:
            return json.dumps(self.data)
        return self.raw.decode() if isinstance(self.raw, bytes) else self.raw


Command = Submit | CreateOrderResponse | WebhookEvent
"""Anything the engine can apply."""
