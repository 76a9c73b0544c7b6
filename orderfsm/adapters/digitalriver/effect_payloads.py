"""What each effect carries, built from DR's order snapshot at the transition.

Payloads are plain JSON-able dicts (they live in the outbox). Keys are camelCase
like DR's, and are public: handlers read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderfsm.fsm.effects import EffectName


def _items(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = []
    for item in snapshot.get("items") or []:
        details = item.get("productDetails") or {}
        items.append(
            {
                "id": item.get("id"),
                "skuId": item.get("skuId"),
                "quantity": item.get("quantity"),
                "amount": item.get("amount"),
                "physical": details.get("physical"),
            }
        )
    return items


def effect_payload(
    effect: EffectName,
    snapshot: Mapping[str, Any] | None,
    *,
    upstream_id: str,
    dr_order_id: str | None,
    customer_message: str | None = None,
) -> dict[str, Any]:
    """The payload the handler of ``effect`` receives."""
    order = snapshot or {}
    payload: dict[str, Any] = {
        "orderId": dr_order_id,
        "upstreamId": upstream_id,
        "email": order.get("email"),
    }
    if effect in (
        EffectName.SEND_ORDER_CONFIRMATION,
        EffectName.REQUEST_SHIPMENT,
        EffectName.DELIVER_DIGITAL,
        EffectName.NOTIFY_ORDER_CANCELLED,
        EffectName.CANCEL_FULFILLMENT,
    ):
        payload["items"] = _items(order)
    if effect is EffectName.SEND_ORDER_CONFIRMATION or effect is EffectName.NOTIFY_ORDER_CANCELLED:
        payload["currency"] = order.get("currency")
        payload["totalAmount"] = order.get("totalAmount")
    if effect is EffectName.REQUEST_SHIPMENT:
        payload["shipTo"] = order.get("shipTo")
    if effect is EffectName.NOTIFY_ORDER_CANCELLED:
        payload["cancelledAt"] = (order.get("stateTransitions") or {}).get("cancelled")
        payload["billTo"] = order.get("billTo")
    if effect is EffectName.SEND_PAYMENT_INSTRUCTIONS:
        sources = (order.get("payment") or {}).get("sources") or []
        payload["sourceId"] = sources[0].get("id") if sources else None
    if effect is EffectName.NOTIFY_PAYMENT_FAILED:
        payload["message"] = customer_message
    return payload
