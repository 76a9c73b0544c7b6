"""The benchmarks' traffic: DR-shaped journals of many orders, deterministic.

Every order sends exactly :data:`LINES_PER_ORDER` journal lines (submits,
``POST /orders`` answers and webhook events), drawn with the sample builders
from one of four scenarios: the happy path (most orders), webhooks overtaking
the ``POST /orders`` answer, a fraud block with events after it, and an event
that arrives before the platform's own order (parked, then applied). Each
scenario has a duplicate delivery and an event the lifecycle ignores.

Lines are merged in *delivery* time across orders, so a journal interleaves
thousands of orders the way a busy day does; the same ``orders`` always give
the same bytes.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orderfsm.samples.builders import Item, OrderSketch

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LINES_PER_ORDER = 10
ORDER_SPACING = timedelta(seconds=1)
"""Delivery time between two orders' first lines (interleaves about an hour of orders)."""

Line = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Timed:
    """A journal line and when it is delivered (not DR's time: deliveries reorder)."""

    delivered: timedelta
    line: Line


def sketch(n: int) -> OrderSketch:
    """Order ``n``: one physical and one digital item, two charges."""
    return OrderSketch(
        dr_order_id=f"24{n:010d}",
        checkout_id=f"co-{n:08d}",
        upstream_id=f"SHOP-{n:08d}",
        items=[
            Item(f"it-{n}-1", "widget", 2, 20.0, True),
            Item(f"it-{n}-2", "ebook", 1, 9.0, False),
        ],
        charge_ids=(f"ch-{n}-1", f"ch-{n}-2"),
        email=f"shopper{n}@example.com",
    )


def fulfillment(o: OrderSketch, order: Line, at: datetime) -> Line:
    """A fulfillment object (what ``fulfillment.created`` carries)."""
    return {
        "id": f"ful-{o.dr_order_id}",
        "createdTime": order["stateTransitions"].get("accepted", order["createdTime"]),
        "orderId": o.dr_order_id,
        "items": [
            {"itemId": item.id, "skuId": item.sku, "quantity": item.quantity, "cancelQuantity": 0}
            for item in o.items
        ],
        "trackingCompany": "Fedex",
        "trackingNumber": f"Z{o.dr_order_id}",
        "liveMode": False,
        "orderDetails": order,
    }


def invoice(o: OrderSketch, at: datetime) -> Line:
    """An ``order.invoice.created`` event: acknowledged, not relevant to the lifecycle."""
    return o.event(
        "order.invoice.created",
        {"id": f"inv-{o.dr_order_id}", "orderId": o.dr_order_id, "fileId": "f-1"},
        at,
    )


def captured(o: OrderSketch, at: datetime) -> Line:
    """An ``order.charge.capture.complete`` event for the order's first charge."""
    return o.event("order.charge.capture.complete", o.charge(o.charge_ids[0], "complete", at), at)


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def happy_path(n: int, t: datetime) -> list[Timed]:
    """201 in review; review, accepted (delivered twice), fulfilled, captured, complete."""
    o = sketch(n)
    in_review = o.order("in_review", t + _s(1), charge_state="pending", fraud_state="review_opened")
    accepted = o.order("accepted", t + _s(60), fraud_state="passed")
    fulfilled = o.order("fulfilled", t + _s(3600), fraud_state="passed")
    complete = o.order("complete", t + _s(3603), charge_state="complete")
    accepted_event = o.event("order.accepted", accepted, t + _s(60))
    return [
        Timed(_s(0), o.submit()),
        Timed(_s(1), o.response(201, in_review)),
        Timed(_s(2), o.event("order.review_opened", in_review, t + _s(1))),
        Timed(_s(61), accepted_event),
        Timed(_s(62), accepted_event),
        Timed(_s(3600), o.event("fulfillment.created", fulfillment(o, fulfilled, t), t + _s(3600))),
        Timed(_s(3601), o.event("order.fulfilled", fulfilled, t + _s(3600))),
        Timed(_s(3602), captured(o, t + _s(3602))),
        Timed(_s(3604), o.event("order.complete", complete, t + _s(3603))),
        Timed(_s(3700), invoice(o, t + _s(3700))),
    ]  # fmt: skip


def webhooks_first(n: int, t: datetime) -> list[Timed]:
    """The 201 answer comes late; accepted overtakes review; complete overtakes capture."""
    o = sketch(n)
    in_review = o.order("in_review", t + _s(1), charge_state="pending", fraud_state="review_opened")
    accepted = o.order("accepted", t + _s(60), fraud_state="passed")
    fulfilled = o.order("fulfilled", t + _s(3600), fraud_state="passed")
    complete = o.order("complete", t + _s(3603), charge_state="complete")
    accepted_event = o.event("order.accepted", accepted, t + _s(60))
    return [
        Timed(_s(0), o.submit()),
        Timed(_s(61), accepted_event),
        Timed(_s(62), o.event("order.review_opened", in_review, t + _s(1))),
        Timed(_s(63), o.response(201, in_review)),
        Timed(_s(3601), o.event("order.fulfilled", fulfilled, t + _s(3600))),
        Timed(_s(3602), o.event("fulfillment.created", fulfillment(o, fulfilled, t), t + _s(3600))),
        Timed(_s(3604), o.event("order.complete", complete, t + _s(3603))),
        Timed(_s(3605), captured(o, t + _s(3602))),
        Timed(_s(3606), accepted_event),
        Timed(_s(3700), invoice(o, t + _s(3700))),
    ]  # fmt: skip


def blocked(n: int, t: datetime) -> list[Timed]:
    """Fraud review blocks the order; DR then cancels its charges (terminal: refused)."""
    o = sketch(n)
    in_review = o.order("in_review", t + _s(1), charge_state="pending", fraud_state="review_opened")
    blocked_order = o.order(
        "blocked", t + _s(1800), charge_state="cancelled", fraud_state="blocked"
    )
    review_event = o.event("order.review_opened", in_review, t + _s(1))
    blocked_event = o.event("order.blocked", blocked_order, t + _s(1800))
    cancels = [
        o.event(
            "order.charge.cancel.complete",
            o.charge(c, "cancelled", t + _s(1850)),
            t + _s(1850),
            f"cancel-{c}",  # one event per charge: the builder's default id is per type
        )
        for c in o.charge_ids
    ]
    return [
        Timed(_s(0), o.submit()),
        Timed(_s(1), o.response(201, in_review)),
        Timed(_s(2), review_event),
        Timed(_s(1801), blocked_event),
        Timed(_s(1802), blocked_event),
        Timed(_s(1851), cancels[0]),
        Timed(_s(1852), cancels[1]),
        Timed(_s(1900), review_event),
        Timed(
            _s(1901),
            o.event(
                "order.credit_memo.created",
                {"id": f"cm-{n}", "orderId": o.dr_order_id},
                t + _s(1900),
            ),
        ),
        Timed(_s(2000), invoice(o, t + _s(2000))),
    ]


def webhook_before_order(n: int, t: datetime) -> list[Timed]:
    """DR's first event arrives before the platform's order exists: parked, then applied."""
    o = sketch(n)
    pending = o.order("pending_payment", t + _s(1), charge_state="pending", next_action="redirect")
    accepted = o.order("accepted", t + _s(120), fraud_state="passed")
    fulfilled = o.order("fulfilled", t + _s(3600), fraud_state="passed")
    complete = o.order("complete", t + _s(3603), charge_state="complete")
    accepted_event = o.event("order.accepted", accepted, t + _s(120))
    return [
        Timed(_s(0), o.event("order.pending_payment", pending, t + _s(1))),
        Timed(_s(1), o.submit()),
        Timed(_s(2), o.response(201, pending)),
        Timed(_s(121), accepted_event),
        Timed(_s(122), accepted_event),
        Timed(_s(3600), o.event("fulfillment.created", fulfillment(o, fulfilled, t), t + _s(3600))),
        Timed(_s(3601), o.event("order.fulfilled", fulfilled, t + _s(3600))),
        Timed(_s(3602), captured(o, t + _s(3602))),
        Timed(_s(3604), o.event("order.complete", complete, t + _s(3603))),
        Timed(_s(3700), invoice(o, t + _s(3700))),
    ]  # fmt: skip


Scenario = Callable[[int, datetime], list[Timed]]

SCENARIOS: tuple[Scenario, ...] = (
    *(happy_path,) * 7,
    webhooks_first,
    blocked,
    webhook_before_order,
)
"""Scenario of order ``n`` is ``SCENARIOS[n % 10]``: 70% happy, 10% each other."""

FINAL_STATES: dict[Scenario, str] = {
    happy_path: "complete",
    webhooks_first: "complete",
    blocked: "blocked",
    webhook_before_order: "complete",
}
"""Where each scenario leaves its order (the benchmarks check it)."""


def order_lines(n: int) -> list[Timed]:
    """Order ``n``'s lines with their delivery offsets from the journal's start."""
    start = ORDER_SPACING * n
    timed = SCENARIOS[n % len(SCENARIOS)](n, START + start)
    return [Timed(start + t.delivered, t.line) for t in timed]


def journal_lines(orders: int) -> Iterator[Line]:
    """Every line of ``orders`` orders, merged in delivery order."""
    streams = (
        ((t.delivered, n, i, t.line) for i, t in enumerate(order_lines(n))) for n in range(orders)
    )
    for _delivered, _n, _i, line in heapq.merge(*streams, key=lambda x: (x[0], x[1], x[2])):
        yield line


def is_event(line: Line) -> bool:
    """True for a webhook event (not a submit or a ``POST /orders`` answer)."""
    return "kind" not in line


def write_journal(path: Path, orders: int) -> int:
    """Write the journal of ``orders`` orders to ``path``; return its line count."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in journal_lines(orders):
            handle.write(json.dumps(line, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count


def expected_final_states(orders: int) -> dict[str, int]:
    """How many orders end in each state once a journal of ``orders`` orders is applied."""
    counts: dict[str, int] = {}
    for n in range(orders):
        state = FINAL_STATES[SCENARIOS[n % len(SCENARIOS)]]
        counts[state] = counts.get(state, 0) + 1
    return counts
