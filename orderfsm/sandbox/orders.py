"""One sandbox order: its facts, its DR state, and the payloads DR would send about it.

Bodies are drawn from :class:`orderfsm.samples.builders.OrderSketch`, so they
have the shape of DR's documented payloads; per-item fulfilled and cancelled
quantities are kept here too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderfsm.samples.builders import DR_VERSION, OrderSketch, iso
from orderfsm.sandbox.scenarios import CHARGE_STATES, FRAUD_STATES, STATE_EVENTS

PENDING_PAYMENT = "pending_payment"


@dataclass(slots=True)
class SandboxOrder:
    """An order the sandbox holds; mutated only under the state's lock."""

    sketch: OrderSketch
    state: str
    upcoming: list[str]
    """States the scenario still has in store, next first."""
    fulfilled: dict[str, int] = field(default_factory=dict)
    cancelled: dict[str, int] = field(default_factory=dict)
    charge_state: str = "capturable"

    @property
    def id(self) -> str:
        """DR's order id."""
        return self.sketch.dr_order_id

    def body(self, at: datetime) -> dict[str, Any]:
        """The order object as DR shows it now (``GET /orders/{id}``, ``order.*`` events)."""
        order = self.sketch.order(
            self.state,
            at,
            charge_state=self.charge_state,
            fraud_state=FRAUD_STATES.get(self.state),
            next_action="show_payment_instructions" if self.state == PENDING_PAYMENT else None,
        )
        if not self.sketch.upstream_id:
            order.pop("upstreamId", None)
        for item in order["items"]:
            done = self.fulfilled.get(item["id"], 0)
            gone = self.cancelled.get(item["id"], 0)
            if done + gone >= item["quantity"]:
                item["state"] = "fulfilled" if done else "cancelled"
            elif done or gone:
                item["state"] = "partially_fulfilled" if done else "partially_cancelled"
        return order

    def enter(self, state: str, at: datetime) -> dict[str, Any]:
        """Move to ``state`` (stamped at ``at``) and return the event announcing it."""
        self.state = state
        self.charge_state = CHARGE_STATES.get(state, self.charge_state)
        self.sketch.state_times.setdefault(state, at)
        return event(STATE_EVENTS[state], self.body(at), at)

    def open_quantity(self, item_id: str) -> int | None:
        """How much of an item is neither fulfilled nor cancelled (``None``: no such item)."""
        for item in self.sketch.items:
            if item.id == item_id:
                return (
                    item.quantity - self.fulfilled.get(item_id, 0) - self.cancelled.get(item_id, 0)
                )
        return None

    def all_items_done(self) -> bool:
        """Every item fulfilled or cancelled in full."""
        return all(self.open_quantity(item.id) == 0 for item in self.sketch.items)


def event(event_type: str, obj: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A webhook event envelope, as DR sends it (``createdTime`` is ``at``)."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "data": {"object": obj},
        "liveMode": False,
        "createdTime": iso(at),
        "webhookIds": ["wh-sandbox"],
        "digitalriverVersion": DR_VERSION,
    }
