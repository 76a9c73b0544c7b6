"""Refresh: read an order from DR and apply it as a signal, like a webhook would.

For an order whose ``POST /orders`` answer was lost (still ``submitted``, no
DR id), DR's order is looked up by checkout id and recorded as the ``201``
answer it would have been (the recovery :mod:`orderfsm.service.submission`
does). For an order DR already answered, ``GET /orders/{id}`` is wrapped in
an event of the type DR sends for that state, with the state's transition
time as ``createdTime`` and a deterministic id: the engine applies it with
the webhook rules (stale, walk, duplicate), so a refresh with nothing new
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.adapters.digitalriver.mapping import CREATED_ORDER_STATES
from orderfsm.adapters.digitalriver.models_api import Received
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import utcnow
from orderfsm.service.engine import Engine
from orderfsm.service.snapshot_events import SNAPSHOT_EVENTS, snapshot_event

CREATED = 201


class RefreshStatus(StrEnum):
    """What a refresh found at DR."""

    FOUND = "found"
    """DR's order was found and applied (the outcome says what it changed)."""
    NOT_CREATED = "not_created"
    """DR has no order for the checkout: the submission never reached DR."""
    UNMAPPED = "unmapped"
    """DR's order is in a state no event reports (left alone)."""


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """One order refreshed: what DR says, and where the order now stands."""

    upstream_id: str
    status: RefreshStatus
    dr_state: str | None
    state: str
    outcome: str | None

    def to_json(self) -> dict[str, Any]:
        """The ``orderfsm refresh --json`` shape."""
        return {
            "upstreamId": self.upstream_id,
            "status": self.status.value,
            "drState": self.dr_state,
            "state": self.state,
            "outcome": self.outcome,
        }


def refresh_order(
    engine: Engine, client: DrClient, ref: str, *, clock: Callable[[], datetime] = utcnow
) -> RefreshResult:
    """Read the order ``ref`` from DR and apply it (see the module docstring)."""
    view = engine.show(ref)
    found = _dr_order(client, view.order_id, view.checkout_id)
    if found is None:
        return RefreshResult(view.upstream_id, RefreshStatus.NOT_CREATED, None, view.state, None)
    dr_state = found.model.state
    if view.state == OrderState.SUBMITTED and dr_state in CREATED_ORDER_STATES:
        result = engine.record_create_order_response(view.upstream_id, CREATED, found.body)
    elif dr_state in SNAPSHOT_EVENTS:
        result = engine.apply_event(snapshot_event(found, clock()))
    else:
        return RefreshResult(view.upstream_id, RefreshStatus.UNMAPPED, dr_state, view.state, None)
    outcome = result.outcome.value if result.outcome else None
    after = engine.show(view.upstream_id)
    return RefreshResult(view.upstream_id, RefreshStatus.FOUND, dr_state, after.state, outcome)


def _dr_order(
    client: DrClient, order_id: str | None, checkout_id: str | None
) -> Received[Order] | None:
    if order_id:
        return client.get_order(order_id)
    if checkout_id is None:
        return None
    found = [
        o
        for o in client.find_orders_for_checkout(checkout_id)
        if o.model.checkout_id in (None, checkout_id)
    ]
    return found[-1] if found else None
