"""What each effect carries, built from DR's order snapshot at the transition.

The one place that turns a DR order into an effect payload. The snapshot is
read through the adapter's pydantic :class:`~.models_order.Order` (what an
item's physical flag is, which source paid, ... is known there); the result
is the JSON form of the effect's model in :mod:`orderfsm.effects` (camelCase
keys, public: handlers and receivers read them); the outbox stores it as is.

Which items go where: a ``request_shipment`` payload lists the items DR flags
physical *and* those whose flag is unknown (non-expanded events); a
``deliver_digital`` payload the non-physical ones and the unknown ones. The
dispatcher's classifier settles the unknown ones before a handler sees them;
this module never guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orderfsm.adapters.digitalriver.customer_text import (
    DEFAULT_PAYMENT_FAILED_TEXT,
    ORDER_BLOCKED_TEXT,
)
from orderfsm.adapters.digitalriver.models_order import Order, OrderItem, PaymentSource
from orderfsm.adapters.digitalriver.snapshot import Snapshot, snapshot_order
from orderfsm.effects import (
    DigitalDelivery,
    EffectItem,
    EffectPayload,
    FulfillmentCancellation,
    FulfillmentReported,
    OrderBlocked,
    OrderCancelled,
    OrderConfirmation,
    PaymentFailed,
    PaymentInstructions,
    PaymentMethod,
    ReportedItem,
    ShipmentRequest,
)
from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.items import FulfilmentReport

_CANCELLED = "cancelled"
"""DR's state of a cancelled order line (and the ``stateTransitions`` key of a cancelled order)."""


@dataclass(frozen=True, slots=True)
class _Base:
    """What every payload carries (see :class:`EffectPayload`)."""

    order_id: str | None
    upstream_id: str
    email: str | None

    def fields(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "upstream_id": self.upstream_id, "email": self.email}


def effect_payload(
    effect: EffectName,
    snapshot: Snapshot | None,
    *,
    upstream_id: str,
    dr_order_id: str | None,
    customer_message: str | None = None,
    report: FulfilmentReport | None = None,
) -> dict[str, Any]:
    """The JSON payload the handler of ``effect`` receives (see ``orderfsm.effects.PAYLOAD_TYPES``).

    ``snapshot`` is DR's order as stored (``None`` or empty when DR sent none,
    e.g. after a 409); one that is not a DR order raises ``PayloadError``.
    ``report`` is the platform's, for ``report_fulfillment`` (the one effect
    not built from DR's snapshot).
    """
    if effect is EffectName.REPORT_FULFILLMENT:
        return fulfillment_payload(
            report or FulfilmentReport(()), upstream_id=upstream_id, dr_order_id=dr_order_id
        )
    order = snapshot_order(snapshot)
    base = _Base(
        order_id=dr_order_id or (order.id if order is not None else None),
        upstream_id=upstream_id,
        email=(order.email or None) if order is not None else None,
    )
    model = _BUILDERS[effect](order or _NO_ORDER, base, customer_message)
    return model.model_dump(mode="json")


def fulfillment_payload(
    report: FulfilmentReport, *, upstream_id: str, dr_order_id: str | None
) -> dict[str, Any]:
    """The ``report_fulfillment`` payload: the platform's report, for ``POST /fulfillments``."""
    tracking = report.tracking
    model = FulfillmentReported(
        order_id=dr_order_id,
        upstream_id=upstream_id,
        items=tuple(
            ReportedItem(
                item_id=line.item_id,
                quantity=line.quantity,
                cancel_quantity=line.cancel_quantity,
            )
            for line in report.items
        ),
        tracking_company=tracking.company,
        tracking_number=tracking.number,
        tracking_url=tracking.url,
    )
    return model.model_dump(mode="json")


def ordered_quantities(snapshot: Snapshot | None) -> tuple[tuple[str, int], ...]:
    """Each item id of DR's order with its ordered quantity (none before DR's order is known)."""
    order = snapshot_order(snapshot)
    if order is None:
        return ()
    return tuple((line.id, line.quantity or 0) for line in order.items)


def items(order: Order) -> list[EffectItem]:
    """Every line of a DR order, with its physical flag when DR gave one."""
    return [_item(line) for line in order.items]


def payment_method(order: Order, source_id: str | None = None) -> PaymentMethod | None:
    """The source the shopper paid with: ``source_id``'s, else the first one."""
    source = order.source(source_id)
    if source is None:
        return None
    details = source.details
    return PaymentMethod(
        type=source.type or None,
        brand=_text(details.get("brand")),
        last_four=_text(details.get("lastFourDigits")),
    )


def _item(line: OrderItem) -> EffectItem:
    details, sku = line.product_details, line.sku
    return EffectItem(
        id=line.id,
        sku_id=line.sku_id
        or (sku.id if sku is not None else None)
        or (details.id if details is not None else None),
        name=(details.name if details is not None else None)
        or (sku.name if sku is not None else None),
        quantity=line.quantity,
        amount=line.amount,
        state=line.state or None,
        physical=line.physical,
    )


def _confirmation(order: Order, base: _Base, _message: str | None) -> EffectPayload:
    return OrderConfirmation(
        **base.fields(),
        items=tuple(items(order)),
        currency=order.currency or None,
        total_amount=order.total_amount,
        subtotal=order.subtotal,
        total_tax=order.total_tax,
        total_shipping=order.total_shipping,
        ship_to=order.ship_to,
        bill_to=order.bill_to,
    )


def _shipment(order: Order, base: _Base, _message: str | None) -> EffectPayload:
    physical = tuple(i for i in items(order) if i.physical is not False)
    return ShipmentRequest(**base.fields(), items=physical, ship_to=order.ship_to)


def _digital(order: Order, base: _Base, _message: str | None) -> EffectPayload:
    digital = tuple(i for i in items(order) if i.physical is not True)
    return DigitalDelivery(**base.fields(), items=digital)


def _instructions(order: Order, base: _Base, _message: str | None) -> EffectPayload:
    data = order.next_action_data
    source = order.source(data.source_id if data is not None else None)
    source_id = source.id if source is not None else None
    # The source's own amount when DR gives one (a split payment), else the order's.
    amount = source.amount if source is not None else None
    currency = source.currency if source is not None else None
    return PaymentInstructions(
        **base.fields(),
        source_id=source_id,
        payment_method=payment_method(order, source_id),
        amount=amount if amount is not None else order.total_amount,
        currency=currency or order.currency or None,
        instructions=_listed(source),
    )


def _listed(source: PaymentSource | None) -> dict[str, str]:
    # What DR lists for the shopper is flat text and numbers (bank name,
    # reference id, amount due); nested objects and flags are not instructions.
    if source is None:
        return {}
    return {
        key: str(value)
        for key, value in source.details.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def _payment_failed(_order: Order, base: _Base, message: str | None) -> EffectPayload:
    return PaymentFailed(**base.fields(), message=message or DEFAULT_PAYMENT_FAILED_TEXT)


def _blocked(_order: Order, base: _Base, _message: str | None) -> EffectPayload:
    return OrderBlocked(**base.fields(), message=ORDER_BLOCKED_TEXT)


def _cancelled(order: Order, base: _Base, _message: str | None) -> EffectPayload:
    lines = items(order)
    # DR marks each line cancelled; a snapshot without line states cancels them all.
    cancelled = [i for i in lines if i.state == _CANCELLED] or lines
    return OrderCancelled(
        **base.fields(),
        cancelled_at=order.state_transitions.get(_CANCELLED),
        items=tuple(cancelled),
        payment_method=payment_method(order),
        currency=order.currency or None,
        # DR cancels an order only as a whole, so the whole total is what was cancelled.
        total_cancelled=order.total_amount,
        bill_to=order.bill_to,
    )


def _cancel_fulfillment(order: Order, base: _Base, _message: str | None) -> EffectPayload:
    return FulfillmentCancellation(**base.fields(), items=tuple(items(order)))


_BUILDERS: Mapping[EffectName, Callable[[Order, _Base, str | None], EffectPayload]] = {
    EffectName.SEND_ORDER_CONFIRMATION: _confirmation,
    EffectName.REQUEST_SHIPMENT: _shipment,
    EffectName.DELIVER_DIGITAL: _digital,
    EffectName.SEND_PAYMENT_INSTRUCTIONS: _instructions,
    EffectName.NOTIFY_PAYMENT_FAILED: _payment_failed,
    EffectName.NOTIFY_ORDER_BLOCKED: _blocked,
    EffectName.NOTIFY_ORDER_CANCELLED: _cancelled,
    EffectName.CANCEL_FULFILLMENT: _cancel_fulfillment,
}

# No snapshot (e.g. a 409 answer before DR made an order): payloads carry the
# ids and the customer's message, and no lines, contacts or amounts.
_NO_ORDER = Order.model_construct(id="", state="")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
