"""What each effect's handler receives: one typed, frozen payload per effect name.

This is the contract between the lifecycle and the host's handlers. The DR
adapter builds these payloads from DR's order (``adapters/digitalriver/
effect_payloads.py``) and reads DR's ``billTo``/``shipTo`` straight into
:class:`Contact`, so the two never drift apart.

The outbox stores a payload as JSON (camelCase keys, amounts as decimal
strings, times as ISO-8601); the dispatcher reads it back into the model named
for the effect in :data:`PAYLOAD_TYPES`. The keys are public: JSON-lines and
HTTP receivers read them. Unknown keys are ignored when read, so rows written
by an older or newer orderfsm stay readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from orderfsm.fsm.effects import EffectName


class PayloadModel(BaseModel):
    """Base of the payload models: camelCase in JSON, snake_case in Python, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        frozen=True,
        extra="ignore",
    )


class PostalAddress(PayloadModel):
    """A postal address as DR holds it."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    state: str | None = None
    country: str | None = None

    def lines(self) -> list[str]:
        """The address as printable lines (empty parts left out)."""
        region = " ".join(p for p in (self.state, self.postal_code) if p)
        locality = ", ".join(p for p in (self.city, region) if p)
        return [line for line in (self.line1, self.line2, locality, self.country) if line]


class Contact(PayloadModel):
    """``shipTo`` / ``billTo``: a person or organization and where they are."""

    name: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    address: PostalAddress | None = None


class EffectItem(PayloadModel):
    """One order line.

    ``physical`` is DR's flag (``productDetails.physical``, else
    ``sku.physical``); ``None`` when DR did not say (non-expanded events).
    Shipment and digital-delivery handlers never see ``None``: the dispatcher
    classifies such items first.
    """

    id: str
    sku_id: str | None = None
    name: str | None = None
    quantity: int | None = None
    amount: Decimal | None = None
    state: str | None = None
    physical: bool | None = None


class PaymentMethod(PayloadModel):
    """How the shopper paid: the source type and, for cards, brand and last four digits."""

    type: str | None = None
    brand: str | None = None
    last_four: str | None = None

    @property
    def label(self) -> str:
        """A line a customer may read, e.g. ``Visa ending in 1111`` or ``wire transfer``."""
        if self.last_four:
            return f"{self.brand or 'card'} ending in {self.last_four}"
        if self.brand:
            return self.brand
        return _words(self.type) if self.type else "unknown payment method"


class EffectPayload(PayloadModel):
    """What every payload carries: DR's order id, the platform's id, the shopper's email."""

    order_id: str | None = None
    """DR's order id (``None`` when DR made no order, e.g. after a 409)."""
    upstream_id: str
    """The platform's own order id."""
    email: str | None = None


class OrderConfirmation(EffectPayload):
    """``send_order_confirmation``: the accepted order, to confirm to the customer."""

    items: tuple[EffectItem, ...] = ()
    currency: str | None = None
    total_amount: Decimal | None = None
    subtotal: Decimal | None = None
    total_tax: Decimal | None = None
    total_shipping: Decimal | None = None
    ship_to: Contact | None = None
    bill_to: Contact | None = None


class ShipmentRequest(EffectPayload):
    """``request_shipment``: the physical items (id, sku, quantity) and where they go."""

    items: tuple[EffectItem, ...] = ()
    ship_to: Contact | None = None


class DigitalDelivery(EffectPayload):
    """``deliver_digital``: the items delivered by email or another channel."""

    items: tuple[EffectItem, ...] = ()


class PaymentInstructions(EffectPayload):
    """``send_payment_instructions``: how to pay a pending order (wire transfer, Konbini...)."""

    source_id: str | None = None
    payment_method: PaymentMethod | None = None
    amount: Decimal | None = None
    currency: str | None = None
    instructions: dict[str, str] = {}
    """What DR lists on the source for the shopper (e.g. bank name, reference id)."""


class PaymentFailed(EffectPayload):
    """``notify_payment_failed``: a message a customer may read, never a DR code."""

    message: str


class OrderBlocked(EffectPayload):
    """``notify_order_blocked``: the order was blocked; a customer-safe text."""

    message: str


class OrderCancelled(EffectPayload):
    """``notify_order_cancelled``: everything domain.md section 4 asks the customer be told.

    The merchant's contact details are not here: they come from the
    notifier's configuration when the message is sent.
    """

    cancelled_at: datetime | None = None
    """``stateTransitions.cancelled``, DR's time of the cancellation."""
    items: tuple[EffectItem, ...] = ()
    payment_method: PaymentMethod | None = None
    currency: str | None = None
    total_cancelled: Decimal | None = None
    bill_to: Contact | None = None


class FulfillmentCancellation(EffectPayload):
    """``cancel_fulfillment``: an accepted order was cancelled; stop shipping these items."""

    items: tuple[EffectItem, ...] = ()


class ReportedItem(PayloadModel):
    """One item of a fulfilment report: ``quantity`` shipped, ``cancel_quantity`` cancelled."""

    item_id: str
    quantity: int = 0
    cancel_quantity: int = 0


class FulfillmentReported(EffectPayload):
    """``report_fulfillment``: what the platform shipped or cancelled (``POST /fulfillments``)."""

    items: tuple[ReportedItem, ...]
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None


class OrderStuck(EffectPayload):
    """``notify_operator_stuck``: for the operator (never the shopper), an order past its deadline.

    Built by the stuck scan, not from DR's snapshot. ``advice`` says in one
    sentence what DR or the operator can do next; ``commands`` are the
    ``orderfsm`` command lines that do it (``orderfsm refresh REF`` first).
    """

    checkout_id: str | None = None
    state: str
    """The lifecycle state the order waits in."""
    since: datetime
    """When the order entered ``state``."""
    deadline_seconds: int
    """How long an order may wait in ``state`` (the lifecycle's deadline or the host's)."""
    overdue_seconds: int
    """How far past the deadline the order was when the scan found it."""
    last_signal: str | None = None
    """The DR event type (or trigger) of the last signal recorded for the order."""
    last_signal_at: datetime | None = None
    dr_order: str | None = None
    """What a refresh from DR found just before: ``not_created`` (DR has no order for the
    checkout), ``found`` (DR's order, still in this state), or ``None`` (not asked)."""
    advice: str
    commands: tuple[str, ...] = ()


PAYLOAD_TYPES: Mapping[EffectName, type[EffectPayload]] = {
    EffectName.SEND_ORDER_CONFIRMATION: OrderConfirmation,
    EffectName.REQUEST_SHIPMENT: ShipmentRequest,
    EffectName.DELIVER_DIGITAL: DigitalDelivery,
    EffectName.SEND_PAYMENT_INSTRUCTIONS: PaymentInstructions,
    EffectName.NOTIFY_PAYMENT_FAILED: PaymentFailed,
    EffectName.NOTIFY_ORDER_BLOCKED: OrderBlocked,
    EffectName.NOTIFY_ORDER_CANCELLED: OrderCancelled,
    EffectName.CANCEL_FULFILLMENT: FulfillmentCancellation,
    EffectName.REPORT_FULFILLMENT: FulfillmentReported,
    EffectName.NOTIFY_OPERATOR_STUCK: OrderStuck,
}
"""The payload model of each effect name (every name of the vocabulary has one)."""


def _words(camel: str) -> str:
    # "wireTransfer" -> "wire transfer", "payPal" -> "pay pal" is tolerable.
    return "".join(f" {c.lower()}" if c.isupper() else c for c in camel).strip()
