"""The objects other than orders that DR events carry: charge, fulfillment, refund.

``order.charge.capture.*``, ``order.charge.cancel.*`` and
``order.charge.refund.*`` carry a :class:`Charge`; ``fulfillment.created`` a
:class:`Fulfillment`; ``refund.*`` a :class:`Refund`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from orderfsm.adapters.digitalriver.models import DrModel, Token, UtcDatetime
from orderfsm.adapters.digitalriver.models_order import Order, OrderCharge


class Charge(OrderCharge):
    """A charge on its own, as charge events carry it: it names its order."""

    order_id: Token
    payment_session_id: str | None = None
    live_mode: bool | None = None


class FulfillmentItem(DrModel):
    """One line of a fulfillment: how much of an order item shipped or was cancelled."""

    item_id: str | None = None
    sku_id: str | None = None
    quantity: int | None = None
    cancel_quantity: int | None = None


class Fulfillment(DrModel):
    """A fulfillment (or cancellation) of order items."""

    id: Token
    order_id: Token
    items: tuple[FulfillmentItem, ...] = ()
    created_time: UtcDatetime | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    order_details: Order | None = None
    """The order as it stood when the fulfillment was made (present in events)."""
    live_mode: bool | None = None


class RefundItem(DrModel):
    """One refunded order line."""

    item_id: str | None = None
    sku_id: str | None = None
    quantity: int | None = None
    amount: Decimal | None = None
    refunded_amount: Decimal | None = None


class Refund(DrModel):
    """A refund: pending, pending_information, succeeded or failed."""

    id: Token
    state: Token
    order_id: str | None = None
    amount: Decimal | None = None
    refunded_amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    items: tuple[RefundItem, ...] = ()
    created_time: UtcDatetime | None = None
    live_mode: bool | None = None
