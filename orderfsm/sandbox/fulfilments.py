"""``POST /fulfillments`` as DR answers it: capture or cancel items, 409 for work already done.

The order of checks follows DR's answers: an order that is done as a whole
answers ``order_fulfilled`` / ``order_complete`` / ``order_cancelled``; an item
with nothing left ``item_fulfilled`` / ``item_cancelled``; more than is left
``quantity_too_large``. Nothing is changed unless every line can be applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderfsm.samples.builders import iso
from orderfsm.sandbox.orders import SandboxOrder, event

_ORDER_DONE_CODES = {
    "fulfilled": "order_fulfilled",
    "complete": "order_complete",
    "cancelled": "order_cancelled",
}
_FULFILLABLE = frozenset({"accepted", "fulfilled"})


@dataclass(frozen=True, slots=True)
class FulfilmentAnswer:
    """The status and body DR answers, and the events the fulfilment caused."""

    status: int
    body: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)


def conflict(code: str, message: str, parameter: str | None = None) -> dict[str, Any]:
    """A DR ``409`` body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    return {"type": "conflict", "errors": [error]}


def not_found(message: str, parameter: str) -> dict[str, Any]:
    """A DR ``404`` body."""
    body = conflict("not_found", message, parameter)
    body["type"] = "not_found"
    return body


def bad_request(code: str, message: str, parameter: str | None = None) -> dict[str, Any]:
    """A DR ``400`` body."""
    body = conflict(code, message, parameter)
    body["type"] = "bad_request"
    return body


def fulfil(order: SandboxOrder, request: dict[str, Any], at: datetime) -> FulfilmentAnswer:
    """Apply one ``POST /fulfillments`` body to ``order``, or refuse it whole."""
    if order.state in _ORDER_DONE_CODES:
        code = _ORDER_DONE_CODES[order.state]
        return FulfilmentAnswer(
            409, conflict(code, f"Resource '{order.id}' is {order.state}.", "orderId")
        )
    if order.state not in _FULFILLABLE:
        return FulfilmentAnswer(
            409,
            conflict("invalid_order_state", f"Order '{order.id}' is {order.state}.", "orderId"),
        )
    lines = request.get("items")
    if not isinstance(lines, list) or not lines:
        return FulfilmentAnswer(400, bad_request("missing_parameter", "items is required", "items"))
    wanted: list[tuple[str, int, int]] = []
    for line in lines:
        item_id = line.get("itemId") if isinstance(line, dict) else None
        quantity = line.get("quantity", 0) if isinstance(line, dict) else None
        cancel = line.get("cancelQuantity", 0) if isinstance(line, dict) else None
        if (
            not isinstance(item_id, str)
            or not isinstance(quantity, int)
            or not isinstance(cancel, int)
            or quantity < 0
            or cancel < 0
            or quantity + cancel == 0
        ):
            return FulfilmentAnswer(
                400, bad_request("invalid_parameter", "each item needs itemId and a quantity")
            )
        left = order.open_quantity(item_id)
        if left is None:
            return FulfilmentAnswer(
                400, bad_request("invalid_parameter", f"Item '{item_id}' not found.", "itemId")
            )
        if left == 0:
            code = "item_fulfilled" if order.fulfilled.get(item_id) else "item_cancelled"
            verb = "fulfilled" if code == "item_fulfilled" else "cancelled"
            return FulfilmentAnswer(
                409, conflict(code, f"Item '{item_id}' is already {verb}.", "itemId")
            )
        if quantity + cancel > left:
            return FulfilmentAnswer(
                409,
                conflict(
                    "quantity_too_large",
                    f"Quantity for item '{item_id}' exceeds the {left} open.",
                    "quantity",
                ),
            )
        wanted.append((item_id, quantity, cancel))
    for item_id, quantity, cancel in wanted:
        order.fulfilled[item_id] = order.fulfilled.get(item_id, 0) + quantity
        order.cancelled[item_id] = order.cancelled.get(item_id, 0) + cancel
    body = _fulfillment_body(order, request, wanted, at)
    events = [event("fulfillment.created", body, at)]
    if order.all_items_done():
        # The charge settles first (captured, or cancelled with nothing shipped); then
        # the order announces its end, as DR's event sequence does.
        if any(order.fulfilled.values()):
            events.append(order.enter("fulfilled", at))
            events.append(_charge_event(order, "order.charge.capture.complete", "complete", at))
            events.append(order.enter("complete", at))
        else:
            events.append(_charge_event(order, "order.charge.cancel.complete", "cancelled", at))
            events.append(order.enter("cancelled", at))
    return FulfilmentAnswer(201, body, events)


def _charge_event(order: SandboxOrder, event_type: str, state: str, at: datetime) -> dict[str, Any]:
    order.charge_state = state
    [charge_id] = order.sketch.charge_ids
    return event(event_type, order.sketch.charge(charge_id, state, at), at)


def _fulfillment_body(
    order: SandboxOrder,
    request: dict[str, Any],
    lines: list[tuple[str, int, int]],
    at: datetime,
) -> dict[str, Any]:
    skus = {item.id: item.sku for item in order.sketch.items}
    body: dict[str, Any] = {
        "id": f"ful_{uuid.uuid4()}",
        "createdTime": iso(at),
        "items": [
            {"quantity": q, "cancelQuantity": c, "skuId": skus[item_id], "itemId": item_id}
            for item_id, q, c in lines
        ],
        "orderId": order.id,
        "liveMode": False,
        "orderDetails": order.body(at),
    }
    for key in ("trackingCompany", "trackingNumber", "trackingUrl"):
        if isinstance(request.get(key), str):
            body[key] = request[key]
    if isinstance(request.get("metadata"), dict):
        body["metadata"] = request["metadata"]
    return body
