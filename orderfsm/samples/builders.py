"""Build DR-shaped orders, events and ``POST /orders`` answers for journals.

The shapes follow the real payloads in DR's documentation (see
``tests/fixtures/dr``); the demo, the benchmarks and the test harness build
their journals with these instead of copying JSON around.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DR_VERSION = "2021-03-23"


def iso(moment: datetime) -> str:
    """DR's timestamp form (UTC, microseconds, ``Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class Item:
    """One order line; ``physical=None`` leaves the flag out, as non-expanded events do."""

    id: str
    sku: str
    quantity: int = 1
    amount: float = 10.0
    physical: bool | None = None


@dataclass(slots=True)
class OrderSketch:
    """The facts of one DR order from which every payload about it is drawn."""

    dr_order_id: str
    checkout_id: str
    upstream_id: str
    items: Sequence[Item]
    charge_ids: Sequence[str] = ("ch-1",)
    email: str = "shopper@example.com"
    currency: str = "USD"
    source_type: str = "creditCard"
    state_times: dict[str, datetime] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """The order total (items only; enough for samples)."""
        return round(sum(i.amount * i.quantity for i in self.items), 2)

    def order(
        self,
        state: str,
        at: datetime,
        *,
        charge_state: str | Mapping[str, str] | None = "capturable",
        fraud_state: str | None = None,
        next_action: str | None = None,
    ) -> dict[str, Any]:
        """The DR order object as it stands in ``state`` at ``at``."""
        self.state_times.setdefault(state, at)
        states = (
            {cid: charge_state for cid in self.charge_ids}
            if isinstance(charge_state, str)
            else dict(charge_state or {})
        )
        share = round(self.total / max(len(self.charge_ids), 1), 2)
        charges = [
            {
                "id": cid,
                "createdTime": iso(at),
                "currency": self.currency,
                "amount": share,
                "state": states[cid],
                "captured": states[cid] == "complete",
                "refunded": False,
                "sourceId": f"src-{cid}",
                "type": "customer_initiated",
            }
            for cid in self.charge_ids
            if cid in states
        ]
        payment: dict[str, Any] = {
            "charges": charges,
            "sources": [
                {"id": f"src-{cid}", "type": self.source_type, "amount": share}
                for cid in self.charge_ids
            ],
        }
        if next_action is not None:
            payment["session"] = {
                "id": f"sess-{self.dr_order_id}",
                "state": "pending_funds",
                "nextAction": {
                    "action": next_action,
                    "data": {"redirectUrl": f"https://pay.example/{self.dr_order_id}"}
                    if next_action == "redirect"
                    else {"amount": self.total, "currency": self.currency},
                },
            }
        order: dict[str, Any] = {
            "id": self.dr_order_id,
            "createdTime": iso(min(self.state_times.values())),
            "currency": self.currency,
            "email": self.email,
            "upstreamId": self.upstream_id,
            "checkoutId": self.checkout_id,
            "shipTo": {
                "address": {
                    "line1": "1 Main St",
                    "city": "Minneapolis",
                    "postalCode": "55401",
                    "state": "MN",
                    "country": "US",
                },
                "name": "Sam Shopper",
            },
            "billTo": {
                "address": {
                    "line1": "1 Main St",
                    "city": "Minneapolis",
                    "postalCode": "55401",
                    "state": "MN",
                    "country": "US",
                },
                "name": "Sam Shopper",
                "email": self.email,
            },
            "totalAmount": self.total,
            "subtotal": self.total,
            "totalTax": 0.0,
            "items": [_item(i) for i in self.items],
            "payment": payment,
            "state": state,
            "stateTransitions": {k: iso(v) for k, v in self.state_times.items()},
            "liveMode": False,
        }
        if fraud_state is not None:
            order["fraudState"] = fraud_state
        return order

    def event(
        self, event_type: str, obj: Mapping[str, Any], at: datetime, event_id: str | None = None
    ) -> dict[str, Any]:
        """A webhook event envelope around ``obj``."""
        return {
            "id": event_id
            or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.dr_order_id}/{event_type}")),
            "type": event_type,
            "data": {"object": dict(obj)},
            "liveMode": False,
            "createdTime": iso(at + timedelta(milliseconds=500)),
            "webhookIds": ["wh-demo"],
            "digitalriverVersion": DR_VERSION,
        }

    def charge(self, charge_id: str, state: str, at: datetime) -> dict[str, Any]:
        """A charge object (what ``order.charge.*`` events carry)."""
        return {
            "id": charge_id,
            "createdTime": iso(at),
            "currency": self.currency,
            "amount": self.total,
            "state": state,
            "orderId": self.dr_order_id,
            "captured": state == "complete",
            "refunded": False,
            "sourceId": f"src-{charge_id}",
            "type": "customer_initiated",
        }

    def submit(self) -> dict[str, Any]:
        """The journal line for the platform calling ``POST /orders``."""
        return {"kind": "submit", "upstreamId": self.upstream_id, "checkoutId": self.checkout_id}

    def response(self, status: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """The journal line for what ``POST /orders`` answered."""
        return {
            "kind": "create_order_response",
            "upstreamId": self.upstream_id,
            "status": status,
            "body": dict(body),
        }


def conflict_body(code: str, message: str) -> dict[str, Any]:
    """A 409 body as DR sends it."""
    return {"type": "conflict", "errors": [{"code": code, "message": message}]}


def not_found_body(checkout_id: str) -> dict[str, Any]:
    """The 404 DR answers for a checkout already turned into an order."""
    return {
        "type": "not_found",
        "errors": [
            {
                "code": "not_found",
                "parameter": "checkoutId",
                "message": f"Checkout '{checkout_id}' not found.",
            }
        ],
    }


def _item(item: Item) -> dict[str, Any]:
    details: dict[str, Any] = {"id": item.sku, "name": f"Product {item.sku}"}
    if item.physical is not None:
        details["physical"] = item.physical
    return {
        "id": item.id,
        "skuId": item.sku,
        "productDetails": details,
        "amount": item.amount,
        "quantity": item.quantity,
        "state": "created",
    }
