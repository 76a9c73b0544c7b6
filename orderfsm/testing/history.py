"""A DR history rendered as the payloads DR really sends, and its deliveries.

:func:`build_history` turns a :class:`~orderfsm.testing.model.HistoryPlan`
into a :class:`DrHistory`: the platform's ``submit``, the ``POST /orders``
answers it got, and DR's webhook events in DR's order (``createdTime``
increasing), all built with :class:`~orderfsm.samples.builders.OrderSketch` so
they have DR's real shapes. Each is a journal line (see ``orderfsm.journal``);
a :class:`Delivery` is one of them on its way to the platform.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from orderfsm.samples.builders import Item, OrderSketch, conflict_body, iso, not_found_body
from orderfsm.testing.expectations import EXPANDED_EVENT_TYPES
from orderfsm.testing.model import Answer, HistoryPlan, ItemKind, SourceFlow
from orderfsm.testing.walk import ANSWER_201, DrFact, dr_facts

JournalLine = dict[str, Any]

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
"""DR's clock for the first fact of every history (each next fact is a minute later)."""

_SOURCE_TYPE = {
    SourceFlow.STANDARD: "creditCard",
    SourceFlow.REDIRECT: "payPal",
    SourceFlow.RECEIVER: "wireTransfer",
}
_INCOMPLETE = {
    "type": "bad_request",
    "errors": [{"code": "order_submit_failed", "message": "Payment session status is invalid."}],
}
_FAILURE = {"failureCode": "card_declined", "failureMessage": "Your card was declined."}


class DeliveryKind(StrEnum):
    """What reaches the platform."""

    SUBMIT = "submit"
    ANSWER = "answer"
    EVENT = "event"


@dataclass(frozen=True, slots=True, eq=False)
class Delivery:
    """One journal line on its way to the platform; ``label`` says what it is."""

    kind: DeliveryKind
    line: JournalLine
    label: str

    def __repr__(self) -> str:
        return self.label

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.label)


@dataclass(frozen=True, slots=True, eq=False)
class DrHistory:
    """One order's history: what the platform sent, what DR answered and published."""

    plan: HistoryPlan
    upstream_id: str
    checkout_id: str
    dr_order_id: str | None
    """``None`` when ``POST /orders`` made no DR order."""
    submit: JournalLine
    answers: tuple[JournalLine, ...]
    """``POST /orders`` answers, in the order the platform got them."""
    events: tuple[JournalLine, ...]
    """DR's webhook events, in DR's order (``createdTime`` increasing)."""
    timeline: tuple[Delivery, ...] = field(init=False, repr=False)
    """Every delivery once, as DR produced them: submit, answers, then events."""

    def __post_init__(self) -> None:
        timeline = (
            Delivery(DeliveryKind.SUBMIT, self.submit, f"{self.upstream_id}: submit"),
            *(
                Delivery(DeliveryKind.ANSWER, a, f"{self.upstream_id}: {a['status']} answer")
                for a in self.answers
            ),
            *(
                Delivery(DeliveryKind.EVENT, e, f"{self.upstream_id}: {e['type']} #{n}")
                for n, e in enumerate(self.events, start=1)
            ),
        )
        object.__setattr__(self, "timeline", timeline)

    def __repr__(self) -> str:
        return f"DrHistory({self.upstream_id}: {self.plan!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def in_dr_order(self) -> tuple[Delivery, ...]:
        """Every delivery once, as DR produced them (the same objects on every call)."""
        return self.timeline


def build_history(plan: HistoryPlan, number: int = 1, prefix: str = "") -> DrHistory:
    """Render ``plan`` for the ``number``-th order; ``prefix`` keeps ids unique across runs."""
    tag = f"{prefix}{number}"
    creates = plan.answer.creates_order
    sketch = OrderSketch(
        dr_order_id=f"dr-{tag}",
        checkout_id=f"co-{tag}",
        upstream_id=f"UP-{tag}",
        items=[
            Item(f"item-{n}", f"sku-{kind.value}-{n}", 1, 10.0 * n, kind.physical)
            for n, kind in enumerate(plan.shape.items, start=1)
        ],
        charge_ids=tuple(f"ch-{n}" for n in range(1, plan.shape.charges + 1)),
        email=f"shopper-{tag}@example.com",
        source_type=_SOURCE_TYPE[plan.shape.flow],
    )
    answers: list[JournalLine] = []
    if plan.after_incomplete or plan.answer is Answer.INCOMPLETE:
        answers.append(sketch.response(400, _INCOMPLETE))
    if plan.answer is Answer.PAYMENT_REFUSED:
        answers.append(
            sketch.response(409, conflict_body("failed-request", "Failed to charge source."))
        )
    elif plan.answer is Answer.FRAUD_REFUSED:
        answers.append(
            sketch.response(409, conflict_body("order-fraud-failure", "Fraud review failed."))
        )
    elif plan.answer is Answer.CONSUMED:
        answers.append(sketch.response(404, not_found_body(sketch.checkout_id)))
    events: list[JournalLine] = []
    for index, fact in enumerate(dr_facts(plan)):
        at = START + timedelta(minutes=index)
        if fact.event_type == ANSWER_201:
            body = _order(sketch, plan, fact, at)
            if plan.answer is Answer.CREATED:
                answers.append(sketch.response(201, body))
            continue
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"orderfsm-testing/{tag}/{index}"))
        events.append(sketch.event(fact.event_type, _object(sketch, plan, fact, at), at, event_id))
    return DrHistory(
        plan,
        sketch.upstream_id,
        sketch.checkout_id,
        sketch.dr_order_id if creates else None,
        sketch.submit(),
        tuple(answers),
        tuple(events),
    )


def _object(sketch: OrderSketch, plan: HistoryPlan, fact: DrFact, at: datetime) -> JournalLine:
    """The ``data.object`` of the event ``fact`` stands for."""
    if fact.charge_id is not None:
        return sketch.charge(fact.charge_id, dict(fact.charges)[fact.charge_id], at)
    if fact.event_type == "order.invoice.created":
        return {
            "id": f"inv-{sketch.dr_order_id}",
            "fileId": f"inv-{sketch.dr_order_id}",
            "orderId": sketch.dr_order_id,
            "purpose": "customer_invoice",
        }
    order = _order(sketch, plan, fact, at)
    if fact.event_type != "fulfillment.created":
        return order
    return {
        "id": f"ful-{sketch.dr_order_id}",
        "createdTime": iso(at),
        "orderId": sketch.dr_order_id,
        "items": [
            {"itemId": i["id"], "skuId": i["skuId"], "quantity": i["quantity"], "cancelQuantity": 0}
            for i in order["items"]
        ],
        "liveMode": False,
        "orderDetails": order,
    }


def _order(sketch: OrderSketch, plan: HistoryPlan, fact: DrFact, at: datetime) -> JournalLine:
    """The DR order object as ``fact`` shows it, with the plan's optional fields."""
    assert fact.dr_state is not None
    shape = plan.shape
    order = sketch.order(
        fact.dr_state,
        at,
        charge_state=dict(fact.charges),
        fraud_state=fact.fraud_state,
        next_action=fact.next_action,
    )
    payment = order["payment"]
    for source in payment["sources"]:
        source["flow"] = shape.flow.value
    for charge in payment["charges"]:
        if charge["state"] == "failed":
            charge.update(_FAILURE)
    if not payment["charges"]:
        del payment["charges"]  # wire transfers before the funds arrive, as DR sends them
    expanded = shape.expanded and fact.event_type in EXPANDED_EVENT_TYPES
    for item in order["items"]:
        if not expanded:
            item["productDetails"].pop("physical", None)
    if not shape.upstream_id_at_dr:
        del order["upstreamId"]
    if all(kind is ItemKind.DIGITAL for kind in shape.items):
        del order["shipTo"]
    return order


def lines_in_dr_order(history: DrHistory) -> list[Mapping[str, Any]]:
    """The history's journal lines in DR's order (what ``orderfsm apply`` would read)."""
    return [d.line for d in history.in_dr_order()]
