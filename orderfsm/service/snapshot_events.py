"""DR's order as the event DR sends for its state: how a read order is applied like a webhook.

``GET /orders/{id}`` (or ``GET /orders?checkoutId=``) gives DR's order now;
wrapped in the event type DR sends for that state, timed when the order
entered it and with a deterministic id, the engine applies it with the
webhook rules (stale, walk, duplicate). Refresh and the lost-answer recovery
of :mod:`orderfsm.service.submission` both use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from orderfsm.adapters.digitalriver.models_api import Received
from orderfsm.adapters.digitalriver.models_order import Order

SNAPSHOT_EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "pending_payment": "order.pending_payment",
        "in_review": "order.review_opened",
        "accepted": "order.accepted",
        "blocked": "order.blocked",
        "cancelled": "order.cancelled",
        "fulfilled": "order.fulfilled",
        "complete": "order.complete",
        "returned": "order.refunded",
    }
)
"""The DR event type that reports an order in each DR state."""

_SNAPSHOT_NAMESPACE = uuid.UUID("5f7d1a52-8c8e-4c3e-9f53-0b4f0c1d2e7a")


def snapshot_event(found: Received[Order], now: datetime) -> dict[str, Any]:
    """DR's order as the event DR sends for its state, timed when it entered that state."""
    order = found.model
    at = order.state_transitions.get(order.state) or order.updated_time or now
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "id": str(uuid.uuid5(_SNAPSHOT_NAMESPACE, f"{order.id}/{order.state}/{stamp}")),
        "type": SNAPSHOT_EVENTS[order.state],
        "data": {"object": found.body},
        "liveMode": False,
        "createdTime": stamp,
    }
