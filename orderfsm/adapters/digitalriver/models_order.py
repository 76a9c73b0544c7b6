"""The DR order, as ``POST /orders`` answers it and ``order.*`` events carry it.

Validated strictly: what the engine decides on (ids, ``state``, charge states,
``stateTransitions`` stamps). Optional: what real payloads omit (``payment`` or
``payment.charges`` on wire-transfer orders, ``fraudState`` on complete
orders, ``productDetails.physical`` on non-expanded events). Kept unread:
everything else, as extra fields. ``billTo`` and ``shipTo`` are read into
:class:`orderfsm.effects.Contact`, the model handlers receive.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import Field

from orderfsm.adapters.digitalriver.models import DrModel, FraudState, Token, UtcDatetime

# ``billTo``/``shipTo`` are read straight into the handlers' contact model:
# one definition, so what DR sends and what a handler gets cannot drift apart.
from orderfsm.effects import Contact


class ChargeOperation(DrModel):
    """One capture, cancel or refund made against a charge."""

    id: str | None = None
    created_time: UtcDatetime | None = None
    amount: Decimal | None = None
    state: str | None = None
    failure_code: str | None = None
    fulfillment_id: str | None = None


class OrderCharge(DrModel):
    """A charge as listed in ``payment.charges[]`` (it has no ``orderId`` there)."""

    id: Token
    state: Token
    """pending, capturable, processing, complete, cancelled or failed."""
    amount: Decimal | None = None
    currency: str | None = None
    created_time: UtcDatetime | None = None
    captured: bool | None = None
    refunded: bool | None = None
    source_id: str | None = None
    type: str | None = None
    failure_code: str | None = None
    """DR's machine code: for records and operators, never for a customer."""
    failure_message: str | None = None
    """Text a customer may be shown (see ``customer_text``)."""
    captures: tuple[ChargeOperation, ...] = ()
    cancels: tuple[ChargeOperation, ...] = ()
    refunds: tuple[ChargeOperation, ...] = ()


class PaymentSource(DrModel):
    """A payment source: credit card, wire transfer, store credit, ..."""

    id: Token
    type: str | None = None
    flow: str | None = None
    """``standard`` or ``redirect`` when DR says; often absent."""
    amount: Decimal | None = None
    currency: str | None = None
    state: str | None = None
    upstream_id: str | None = None

    @property
    def details(self) -> Mapping[str, Any]:
        """The object named by ``type`` (``creditCard``, ``wireTransfer``, ...), else empty.

        DR keys a source's details by its type, so they are kept as an extra
        field; for cards they hold ``brand`` and ``lastFourDigits``, for
        delayed payments what the shopper is shown (bank, reference, ...).
        """
        if not self.type:
            return {}
        details = (self.model_extra or {}).get(self.type)
        return details if isinstance(details, Mapping) else {}


class NextActionData(DrModel):
    """What the shopper must be given: a redirect URL or the source to show instructions for."""

    redirect_url: str | None = None
    source_id: str | None = None
    source_client_secret: str | None = None


class NextAction(DrModel):
    """``payment.session.nextAction``: ``redirect`` or ``show_payment_instructions``."""

    action: Token
    data: NextActionData | None = None


class PaymentSession(DrModel):
    """``payment.session``: the checkout's payment session."""

    id: str | None = None
    state: str | None = None
    amount_contributed: Decimal | None = None
    amount_remaining_to_be_contributed: Decimal | None = None
    next_action: NextAction | None = None


class Payment(DrModel):
    """``payment``: charges, sources and the session; every part may be absent."""

    charges: tuple[OrderCharge, ...] = ()
    sources: tuple[PaymentSource, ...] = ()
    session: PaymentSession | None = None


class ProductDetails(DrModel):
    """``items[].productDetails``; ``physical`` only on expanded events."""

    id: str | None = None
    name: str | None = None
    physical: bool | None = None


class ItemSku(DrModel):
    """``items[].sku`` of orders made from a SKU (Prebuilt Checkout); it states ``physical``."""

    id: str | None = None
    name: str | None = None
    physical: bool | None = None


class OrderItem(DrModel):
    """One order line."""

    id: Token
    sku_id: str | None = None
    quantity: int | None = None
    amount: Decimal | None = None
    state: str | None = None
    state_transitions: dict[str, UtcDatetime] = Field(default_factory=dict)
    product_details: ProductDetails | None = None
    sku: ItemSku | None = None

    @property
    def physical(self) -> bool | None:
        """Whether the item ships: ``productDetails.physical``, else ``sku.physical``.

        ``None`` when DR did not say (non-expanded events); never guessed.
        """
        if self.product_details is not None and self.product_details.physical is not None:
            return self.product_details.physical
        if self.sku is not None:
            return self.sku.physical
        return None


class Order(DrModel):
    """A DR order."""

    id: Token
    state: Token
    """pending_payment, in_review, accepted, blocked, cancelled, fulfilled, complete, ..."""
    state_transitions: dict[str, UtcDatetime] = Field(default_factory=dict)
    """When each state was reached, by DR's clock."""
    checkout_id: Token | None = None
    checkout_session_id: str | None = None
    upstream_id: str | None = None
    fraud_state: FraudState | None = None
    """review_opened, passed or blocked; absent on complete orders and wire transfers."""
    fraud_state_transitions: dict[str, UtcDatetime] = Field(default_factory=dict)
    payment: Payment = Field(default_factory=Payment)
    items: tuple[OrderItem, ...] = ()
    currency: str | None = None
    email: str | None = None
    bill_to: Contact | None = None
    ship_to: Contact | None = None
    total_amount: Decimal | None = None
    subtotal: Decimal | None = None
    total_tax: Decimal | None = None
    total_shipping: Decimal | None = None
    total_discount: Decimal | None = None
    total_fees: Decimal | None = None
    total_duty: Decimal | None = None
    total_importer_tax: Decimal | None = None
    created_time: UtcDatetime | None = None
    updated_time: UtcDatetime | None = None
    live_mode: bool | None = None

    @property
    def next_action(self) -> str | None:
        """``payment.session.nextAction.action``, if DR asks the shopper to act."""
        session = self.payment.session
        if session is None or session.next_action is None:
            return None
        return session.next_action.action

    @property
    def next_action_data(self) -> NextActionData | None:
        """``payment.session.nextAction.data``: the redirect URL or the source to explain."""
        session = self.payment.session
        if session is None or session.next_action is None:
            return None
        return session.next_action.data

    def source(self, source_id: str | None = None) -> PaymentSource | None:
        """The payment source ``source_id``, else the first one (``None`` if there is none)."""
        for source in self.payment.sources:
            if source_id is not None and source.id == source_id:
                return source
        return self.payment.sources[0] if self.payment.sources else None
