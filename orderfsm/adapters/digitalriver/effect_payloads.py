"""What each effect carries, built from DR's order snapshot at the transition.

The one place that turns a DR order into an effect payload. The result is the
JSON form of the effect's model in :mod:`.effect_models` (camelCase keys,
public: handlers and receivers read them); the outbox stores it as is.

Which items go where: a ``request_shipment`` payload lists the items DR flags
physical *and* those whose flag is unknown (non-expanded events); a
``deliver_digital`` payload the non-physical ones and the unknown ones. The
dispatcher's classifier settles the unknown ones before a handler sees them;
this module never guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orderfsm.adapters.digitalriver.customer_text import (
    DEFAULT_PAYMENT_FAILED_TEXT,
    ORDER_BLOCKED_TEXT,
)
from orderfsm.adapters.digitalriver.effect_models import (
    Contact,
    DigitalDelivery,
    EffectItem,
    EffectPayload,
    FulfillmentCancellation,
    OrderBlocked,
    OrderCancelled,
    OrderConfirmation,
    PaymentFailed,
    PaymentInstructions,
    PaymentMethod,
    ShipmentRequest,
)
from orderfsm.fsm.effects import EffectName

Snapshot = Mapping[str, Any]
_Base = dict[str, Any]


def effect_payload(
    effect: EffectName,
    snapshot: Snapshot | None,
    *,
    upstream_id: str,
    dr_order_id: str | None,
    customer_message: str | None = None,
) -> dict[str, Any]:
    """The JSON payload the handler of ``effect`` receives (see :data:`PAYLOAD_TYPES`)."""
    order = snapshot or {}
    base: _Base = {
        "order_id": dr_order_id or _text(order.get("id")),
        "upstream_id": upstream_id,
        "email": _text(order.get("email")),
    }
    model = _BUILDERS[effect](order, base, customer_message)
    return model.model_dump(mode="json")


def items(order: Snapshot) -> list[EffectItem]:
    """Every line of a DR order, with its physical flag when DR gave one."""
    lines = []
    for item in order.get("items") or []:
        details = item.get("productDetails") or {}
        sku = item.get("sku") or {}
        physical = details.get("physical")
        if physical is None:
            physical = sku.get("physical")
        lines.append(
            EffectItem(
                id=str(item.get("id")),
                sku_id=_text(item.get("skuId")) or _text(sku.get("id")) or _text(details.get("id")),
                name=_text(details.get("name")) or _text(sku.get("name")),
                quantity=item.get("quantity"),
                amount=item.get("amount"),
                state=_text(item.get("state")),
                physical=physical,
            )
        )
    return lines


def payment_method(order: Snapshot, source_id: str | None = None) -> PaymentMethod | None:
    """The source the shopper paid with: ``source_id``'s, else the first one."""
    source = _source(order, source_id)
    if source is None:
        return None
    kind = _text(source.get("type"))
    details = source.get(kind) if kind else None
    details = details if isinstance(details, Mapping) else {}
    return PaymentMethod(
        type=kind,
        brand=_text(details.get("brand")),
        last_four=_text(details.get("lastFourDigits")),
    )


def _confirmation(order: Snapshot, base: _Base, _message: str | None) -> EffectPayload:
    return OrderConfirmation(
        **base,
        items=tuple(items(order)),
        currency=_text(order.get("currency")),
        total_amount=order.get("totalAmount"),
        subtotal=order.get("subtotal"),
        total_tax=order.get("totalTax"),
        total_shipping=order.get("totalShipping"),
        ship_to=_contact(order.get("shipTo")),
        bill_to=_contact(order.get("billTo")),
    )


def _shipment(order: Snapshot, base: _Base, _message: str | None) -> EffectPayload:
    physical = tuple(i for i in items(order) if i.physical is not False)
    return ShipmentRequest(**base, items=physical, ship_to=_contact(order.get("shipTo")))


def _digital(order: Snapshot, base: _Base, _message: str | None) -> EffectPayload:
    return DigitalDelivery(**base, items=tuple(i for i in items(order) if i.physical is not True))


def _instructions(order: Snapshot, base: _Base, _message: str | None) -> EffectPayload:
    payment = order.get("payment") or {}
    next_data = ((payment.get("session") or {}).get("nextAction") or {}).get("data") or {}
    source = _source(order, _text(next_data.get("sourceId")))
    source = source or {}
    kind = _text(source.get("type"))
    details = source.get(kind) if kind else None
    listed = {
        key: str(value)
        for key, value in (details.items() if isinstance(details, Mapping) else ())
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }
    return PaymentInstructions(
        **base,
        source_id=_text(source.get("id")),
        payment_method=payment_method(order, _text(source.get("id"))),
        amount=source.get("amount", order.get("totalAmount")),
        currency=_text(source.get("currency")) or _text(order.get("currency")),
        instructions=listed,
    )


def _payment_failed(_order: Snapshot, base: _Base, message: str | None) -> EffectPayload:
    return PaymentFailed(**base, message=message or DEFAULT_PAYMENT_FAILED_TEXT)


def _blocked(_order: Snapshot, base: _Base, _message: str | None) -> EffectPayload:
    return OrderBlocked(**base, message=ORDER_BLOCKED_TEXT)


def _cancelled(order: Snapshot, base: _Base, _message: str | None) -> EffectPayload:
    lines = items(order)
    # DR marks each line cancelled; a snapshot without line states cancels them all.
    cancelled = [i for i in lines if i.state == "cancelled"] or lines
    return OrderCancelled(
        **base,
        cancelled_at=(order.get("stateTransitions") or {}).get("cancelled"),
        items=tuple(cancelled),
        payment_method=payment_method(order),
        currency=_text(order.get("currency")),
        # DR cancels an order only as a whole, so the whole total is what was cancelled.
        total_cancelled=order.get("totalAmount"),
        bill_to=_contact(order.get("billTo")),
    )


def _cancel_fulfillment(order: Snapshot, base: _Base, _message: str | None) -> EffectPayload:
    return FulfillmentCancellation(**base, items=tuple(items(order)))


_BUILDERS: Mapping[EffectName, Callable[[Snapshot, _Base, str | None], EffectPayload]] = {
    EffectName.SEND_ORDER_CONFIRMATION: _confirmation,
    EffectName.REQUEST_SHIPMENT: _shipment,
    EffectName.DELIVER_DIGITAL: _digital,
    EffectName.SEND_PAYMENT_INSTRUCTIONS: _instructions,
    EffectName.NOTIFY_PAYMENT_FAILED: _payment_failed,
    EffectName.NOTIFY_ORDER_BLOCKED: _blocked,
    EffectName.NOTIFY_ORDER_CANCELLED: _cancelled,
    EffectName.CANCEL_FULFILLMENT: _cancel_fulfillment,
}


def _source(order: Snapshot, source_id: str | None) -> Mapping[str, Any] | None:
    sources = [s for s in (order.get("payment") or {}).get("sources") or [] if s]
    for source in sources:
        if source_id is not None and source.get("id") == source_id:
            return dict(source)
    return dict(sources[0]) if sources else None


def _contact(raw: Any) -> Contact | None:
    if not isinstance(raw, Mapping):
        return None
    return Contact.model_validate(raw)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
