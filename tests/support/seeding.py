"""Databases for the listing tests (CLI and console), made the way production makes them.

Orders go through the engine; webhooks are stored in the inbox by the
receiver's own call (:func:`orderfsm.persistence.inbox.store_event`), to be
applied by the inbox worker or left waiting. Order ``n`` of :func:`sketch` is
``UP-n`` upstream, ``dr-n`` at DR, checkout ``co-n``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from orderfsm import Engine
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.inbox import store_event
from orderfsm.samples.builders import Item, OrderSketch


def sketch(n: int) -> OrderSketch:
    """Order ``n``: ``UP-n``, ``dr-n``, ``co-n``, one physical line (``it-1``, ``sku``)."""
    return OrderSketch(f"dr-{n}", f"co-{n}", f"UP-{n}", [Item("it-1", "sku", 1, 5.0, True)])


def accept(engine: Engine, order: OrderSketch, at: datetime) -> None:
    """Record DR's 201 accepted answer for the submitted ``order``, then its ``order.accepted``."""
    accepted = order.order("accepted", at, fraud_state="passed")
    engine.record_create_order_response(order.upstream_id, 201, accepted)
    engine.apply_event(order.event("order.accepted", accepted, at))


def store_webhooks(
    engine: Engine, events: Iterable[Mapping[str, Any]], *, now: datetime | None = None
) -> None:
    """Store each DR event in the inbox under its id, received at ``now`` (else: as stored).

    Nothing is applied: that is the inbox worker's part.
    """
    for event in events:
        store_event(
            engine.db,
            event_id=event["id"],
            event_type=event["type"],
            body=json.dumps(event),
            now=now or utcnow(),
        )
