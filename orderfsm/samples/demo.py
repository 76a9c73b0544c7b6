"""The demo's journal: a realistic batch of orders and the deliveries DR makes.

Each scenario is one order; lines are in *delivery* order, which is not DR's
order of events: duplicates, late answers and early webhooks are on purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orderfsm.samples.builders import Item, OrderSketch, conflict_body, not_found_body

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _sketch(
    n: int, items: list[Item], charges: tuple[str, ...] = ("ch-1",), source_type: str = "creditCard"
) -> OrderSketch:
    return OrderSketch(
        dr_order_id=f"2400{n:08d}",
        checkout_id=f"co-{n:04d}",
        upstream_id=f"SHOP-{n:04d}",
        items=items,
        charge_ids=tuple(f"{c}-{n}" for c in charges),
        email=f"shopper{n}@example.com",
        source_type=source_type,
    )


def accepted_at_once(n: int, t: datetime) -> list[dict[str, Any]]:
    """201 accepted; the webhook repeats it (twice); fulfilment and completion follow."""
    o = _sketch(
        n, [Item(f"it-{n}-1", "widget", 2, 20.0, True), Item(f"it-{n}-2", "ebook", 1, 9.0, False)]
    )
    accepted = o.order("accepted", t + timedelta(seconds=2), fraud_state="passed")
    event = o.event("order.accepted", accepted, t + timedelta(seconds=2))
    fulfilled = o.order(
        "fulfilled", t + timedelta(hours=5), charge_state="complete", fraud_state="passed"
    )
    complete = o.order("complete", t + timedelta(hours=6), charge_state="complete")
    return [
        o.submit(),
        o.response(201, accepted),
        event,
        event,
        o.event("order.fulfilled", fulfilled, t + timedelta(hours=5)),
        o.event("order.complete", complete, t + timedelta(hours=6)),
    ]


def review_then_blocked(n: int, t: datetime) -> list[dict[str, Any]]:
    """201 in review; fraud review blocks it."""
    o = _sketch(n, [Item(f"it-{n}-1", "laptop", 1, 900.0, True)])
    in_review = o.order("in_review", t + timedelta(seconds=1), fraud_state="review_opened")
    blocked = o.order(
        "blocked", t + timedelta(minutes=30), charge_state="cancelled", fraud_state="blocked"
    )
    return [
        o.submit(),
        o.response(201, in_review),
        o.event("order.review_opened", in_review, t + timedelta(seconds=1)),
        o.event("order.blocked", blocked, t + timedelta(minutes=30)),
    ]


def wire_transfer_expires(n: int, t: datetime) -> list[dict[str, Any]]:
    """Pending payment with instructions; the shopper never pays; DR cancels."""
    o = _sketch(n, [Item(f"it-{n}-1", "chair", 1, 120.0, True)], source_type="wireTransfer")
    pending = o.order(
        "pending_payment",
        t + timedelta(seconds=1),
        charge_state=None,
        next_action="show_payment_instructions",
    )
    cancelled = o.order("cancelled", t + timedelta(days=7), charge_state=None)
    return [
        o.submit(),
        o.response(201, pending),
        o.event("order.pending_payment", pending, t + timedelta(seconds=1)),
        o.event("order.cancelled", cancelled, t + timedelta(days=7)),
    ]


def payment_refused(n: int, _t: datetime) -> list[dict[str, Any]]:
    """409 failed-request: no DR order; the shopper needs a new checkout."""
    o = _sketch(n, [Item(f"it-{n}-1", "lamp", 1, 35.0)])
    return [
        o.submit(),
        o.response(409, conflict_body("failed-request", "Failed to charge source.")),
    ]


def accepted_before_review(n: int, t: datetime) -> list[dict[str, Any]]:
    """Webhooks out of order and ahead of the lost 201: accepted arrives before review."""
    o = _sketch(n, [Item(f"it-{n}-1", "song", 1, 1.5, False)], charges=("ch-1", "ch-2"))
    in_review = o.order(
        "in_review", t + timedelta(seconds=1), charge_state="pending", fraud_state="review_opened"
    )
    accepted = o.order("accepted", t + timedelta(minutes=10), fraud_state="passed")
    return [
        o.submit(),
        o.event("order.accepted", accepted, t + timedelta(minutes=10)),
        o.event("order.review_opened", in_review, t + timedelta(seconds=1)),
        o.response(201, in_review),
    ]


def consumed_checkout(n: int, t: datetime) -> list[dict[str, Any]]:
    """The first answer was lost, the retry got 404; events attach by checkout id."""
    o = _sketch(n, [Item(f"it-{n}-1", "mug", 4, 8.0, True)])
    accepted = o.order("accepted", t + timedelta(seconds=3), fraud_state="passed")
    return [
        o.submit(),
        o.response(404, not_found_body(o.checkout_id)),
        o.event("order.accepted", accepted, t + timedelta(seconds=3)),
    ]


def webhook_before_submit(n: int, t: datetime) -> list[dict[str, Any]]:
    """DR's event arrives before the platform committed its order: it waits, then applies."""
    o = _sketch(n, [Item(f"it-{n}-1", "poster", 1, 15.0, True)])
    pending = o.order(
        "pending_payment", t + timedelta(seconds=1), charge_state="pending", next_action="redirect"
    )
    return [
        o.event("order.pending_payment", pending, t + timedelta(seconds=1)),
        o.submit(),
        o.response(201, pending),
    ]


def not_relevant(_n: int, t: datetime) -> list[dict[str, Any]]:
    """A subscription event: acknowledged and recorded as not relevant."""
    return [
        {
            "id": "0b7c8a52-demo-subscription",
            "type": "subscription.created",
            "data": {"object": {"id": "sub-1", "state": "active"}},
            "liveMode": False,
            "createdTime": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "webhookIds": ["wh-demo"],
            "digitalriverVersion": "2021-03-23",
        }
    ]


SCENARIOS = (
    accepted_at_once,
    review_then_blocked,
    wire_transfer_expires,
    payment_refused,
    accepted_before_review,
    consumed_checkout,
    webhook_before_submit,
    not_relevant,
)


def demo_journal(rounds: int = 3) -> list[dict[str, Any]]:
    """Every scenario ``rounds`` times, one order each, in delivery order."""
    lines: list[dict[str, Any]] = []
    n = 0
    for r in range(rounds):
        for scenario in SCENARIOS:
            n += 1
            lines += scenario(n, START + timedelta(hours=r, minutes=n))
    return lines
