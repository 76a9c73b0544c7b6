"""DR events the lifecycle model does not walk, derived from events it does.

The model of DR's lifecycle (``walk``, ``history``) draws the events that
move an order. DR sends more: low-code checkouts announce their order
(``checkout_session.order.created``), captures fail or wait, refunds and
returns run their own course, invoices and credit memos are filed,
subscriptions renew. Each is rendered here from an event the model draws for
the same order, in the shapes of DR's documented examples
(``tests/fixtures/dr/events``), so its ids, times and amounts agree with the
order's other events. Pure functions on JSON data; no hypothesis.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from orderfsm.errors import ConfigurationError

Body = dict[str, Any]
"""A webhook event body as JSON data."""

_LOW_CODE_BASES = ("order.accepted", "order.review_opened", "order.pending_payment")
_CAPTURED_BASES = ("order.charge.capture.complete",)
_REFUNDED_BASES = ("order.refunded",)


@dataclass(frozen=True, slots=True)
class Derivation:
    """How to render one event type: from which drawn event types, and how."""

    bases: tuple[str, ...]
    """Event types (drawn from a DR history) whose body this one is derived from."""
    render: Callable[[Body], Body]
    """The new ``data.object`` (or whole ``data``, see :attr:`whole_data`) from the base body."""
    whole_data: bool = False
    """``render`` gives ``data`` itself (``subscription.deleted`` has ``previousAttributes``)."""


def derive(event_type: str, base: Mapping[str, Any]) -> Body:
    """The ``event_type`` event DR sends beside ``base`` (a body of one of its bases).

    The envelope is ``base``'s (same time, live mode, webhooks) under a new id
    and type; ``base`` itself is left as it was.
    """
    derivation = DERIVATIONS[event_type]
    if base["type"] not in derivation.bases:
        raise ConfigurationError(
            f"{event_type!r} is derived from {derivation.bases}, not {base['type']!r}"
        )
    body = copy.deepcopy(dict(base))
    rendered = derivation.render(body)
    body["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base['id']}/{event_type}"))
    body["type"] = event_type
    body["data"] = rendered if derivation.whole_data else {"object": rendered}
    return body


def _object(body: Body) -> Body:
    obj: Body = body["data"]["object"]
    return obj


def _low_code_order(body: Body) -> Body:
    """A Prebuilt Checkout order: it names its checkout session; items carry ``sku``."""
    order = _object(body)
    order["checkoutSessionId"] = f"cs-{order['id']}"
    for item in order.get("items", []):
        details = item.pop("productDetails", {})
        item["sku"] = {**details, "id": item.get("skuId")}
    return order


def _capture(charge_state: str, capture_state: str) -> Callable[[Body], Body]:
    def render(body: Body) -> Body:
        charge = _object(body)
        capture: Body = {
            "id": f"cap-{charge['id']}",
            "createdTime": charge.get("createdTime"),
            "amount": charge.get("amount"),
            "state": capture_state,
        }
        if capture_state == "failed":
            capture["failureCode"] = "failed-request"
        charge.update(state=charge_state, captures=[capture])
        return charge

    return render


def _order_as_is(body: Body) -> Body:
    return _object(body)


def _file(purpose: str, prefix: str) -> Callable[[Body], Body]:
    def render(body: Body) -> Body:
        order_id = _object(body)["id"]
        return {
            "id": f"{prefix}-{order_id}",
            "fileId": f"{prefix}-{order_id}",
            "orderId": order_id,
            "purpose": purpose,
            "invoiceURL": f"https://api.digitalriver.com/files/{prefix}-{order_id}/content",
        }

    return render


def _refund(state: str) -> Callable[[Body], Body]:
    def render(body: Body) -> Body:
        order = _object(body)
        total = order.get("totalAmount", 0.0)
        return {
            "id": f"re_{order['id']}",
            "amount": total,
            "createdTime": body["createdTime"],
            "currency": order.get("currency"),
            "items": [],
            "orderId": order["id"],
            "refundedAmount": total if state == "succeeded" else 0.0,
            "state": state,
            "liveMode": False,
        }

    return render


def _return(body: Body) -> Body:
    order = _object(body)
    return {
        "id": f"ret_{order['id']}",
        "createdTime": body["createdTime"],
        "currency": order.get("currency"),
        "items": [
            {
                "itemId": item["id"],
                "skuId": item.get("skuId"),
                "amount": item.get("amount"),
                "quantity": item.get("quantity"),
                "quantityAccepted": item.get("quantity"),
                "state": "accepted",
            }
            for item in order.get("items", [])
        ],
        "orderId": order["id"],
        "reason": "Damaged Goods",
        "state": "accepted",
        "liveMode": False,
    }


def _subscription(body: Body, state: str) -> Body:
    order = _object(body)
    return {
        "id": f"sub-{order['id']}",
        "createdTime": body["createdTime"],
        "updatedTime": body["createdTime"],
        "stateTransitions": {},
        "taxInclusive": False,
        "currency": order.get("currency"),
        "planId": "plan-monthly",
        "state": state,
        "items": [
            {"price": item.get("amount"), "skuId": item.get("skuId"), "quantity": 1}
            for item in order.get("items", [])
        ],
        "liveMode": False,
    }


def _subscription_in(state: str) -> Callable[[Body], Body]:
    return lambda body: _subscription(body, state)


def _subscription_with_invoice(body: Body) -> Body:
    """``subscription.extended``, ``.payment_failed``, ``.reminder``: subscription and invoice."""
    subscription = _subscription(body, "active")
    return {
        "subscription": subscription,
        "invoice": {
            "id": f"inv-{subscription['id']}",
            "createdTime": body["createdTime"],
            "currency": subscription["currency"],
            "subscriptionId": subscription["id"],
            "state": "open",
            "items": subscription["items"],
            "liveMode": False,
        },
    }


def _subscription_deleted(body: Body) -> Body:
    """DR sends an empty object and the subscription as it was in ``previousAttributes``."""
    return {"object": {}, "previousAttributes": _subscription(body, "draft")}


_ON_ACCEPTED = ("order.accepted",)

DERIVATIONS: Mapping[str, Derivation] = MappingProxyType(
    {
        "checkout_session.order.created": Derivation(_LOW_CODE_BASES, _low_code_order),
        "order.charge.capture.failed": Derivation(
            _CAPTURED_BASES, _capture("capturable", "failed")
        ),
        "order.charge.capture.pending": Derivation(
            _CAPTURED_BASES, _capture("processing", "pending")
        ),
        "order.charge.reauth.failed": Derivation(_ON_ACCEPTED, _order_as_is),
        "order.charge.refund.failed": Derivation(_REFUNDED_BASES, _order_as_is),
        "order.credit_memo.created": Derivation(
            _REFUNDED_BASES, _file("customer_credit_memo", "cm")
        ),
        "refund.pending": Derivation(_REFUNDED_BASES, _refund("pending")),
        "refund.pending_information": Derivation(_REFUNDED_BASES, _refund("pending_information")),
        "refund.complete": Derivation(_REFUNDED_BASES, _refund("succeeded")),
        "refund.failed": Derivation(_REFUNDED_BASES, _refund("failed")),
        "return.accepted": Derivation(("order.fulfilled",), _return),
        "subscription.created": Derivation(_ON_ACCEPTED, _subscription_in("draft")),
        "subscription.updated": Derivation(_ON_ACCEPTED, _subscription_in("active")),
        "subscription.source_invalid": Derivation(_ON_ACCEPTED, _subscription_in("active")),
        "subscription.failed": Derivation(_ON_ACCEPTED, _subscription_in("failed")),
        "subscription.lapsed": Derivation(_ON_ACCEPTED, _subscription_in("lapsed")),
        "subscription.extended": Derivation(_ON_ACCEPTED, _subscription_with_invoice),
        "subscription.payment_failed": Derivation(_ON_ACCEPTED, _subscription_with_invoice),
        "subscription.reminder": Derivation(_ON_ACCEPTED, _subscription_with_invoice),
        "subscription.deleted": Derivation(_ON_ACCEPTED, _subscription_deleted, whole_data=True),
    }
)
"""Every event type rendered here, with the drawn events it is derived from."""
