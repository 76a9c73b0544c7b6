"""What DR's API answers beyond single objects: list pages, and what the client sends.

A page keeps each item twice: the model (what the code reads) and the raw
JSON object (what the engine records, exactly as DR sent it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from orderfsm.adapters.digitalriver.models import DrModel, Event
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.errors import ConfigurationError

T = TypeVar("T", bound=DrModel)

EVENT_RETENTION = timedelta(days=30)
"""How long DR keeps events readable through ``GET /events``."""
MAX_PAGE_SIZE = 100
"""DR's largest ``limit`` for list calls."""


class OrderList(DrModel):
    """``GET /orders``: one page of orders."""

    has_more: bool = False
    data: tuple[Order, ...] = ()


class EventList(DrModel):
    """``GET /events``: one page of events (DR documents no sort order)."""

    has_more: bool = False
    data: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class Received(Generic[T]):
    """One object DR sent: read as ``model``, and the JSON ``body`` as it came."""

    model: T
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list call; ``has_more`` asks for the next one (``startingAfter``)."""

    items: tuple[Received[T], ...]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        """The cursor for the next page: the id of this page's last item."""
        if not self.items:
            return None
        last: str = self.items[-1].body["id"]
        return last


@dataclass(frozen=True, slots=True)
class FulfillmentLine:
    """One item of ``POST /fulfillments``: ``quantity`` ships, ``cancel_quantity`` cancels."""

    item_id: str
    quantity: int = 0
    cancel_quantity: int = 0

    def __post_init__(self) -> None:
        if not self.item_id:
            raise ConfigurationError("a fulfillment line needs an item id")
        if self.quantity < 0 or self.cancel_quantity < 0:
            raise ConfigurationError(f"item {self.item_id}: quantities must not be negative")
        if self.quantity == 0 and self.cancel_quantity == 0:
            raise ConfigurationError(f"item {self.item_id}: nothing to fulfil or cancel")

    def to_json(self) -> dict[str, Any]:
        """DR's item shape (zero quantities left out)."""
        line: dict[str, Any] = {"itemId": self.item_id}
        if self.quantity:
            line["quantity"] = self.quantity
        if self.cancel_quantity:
            line["cancelQuantity"] = self.cancel_quantity
        return line


@dataclass(frozen=True, slots=True)
class FulfillmentRequest:
    """The body of ``POST /fulfillments``."""

    order_id: str
    items: tuple[FulfillmentLine, ...]
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    """DR's ``metadata``: kept on the fulfillment and echoed in ``fulfillment.created``."""

    def __post_init__(self) -> None:
        if not self.order_id:
            raise ConfigurationError("a fulfillment needs a DR order id")
        if not self.items:
            raise ConfigurationError(f"fulfillment of order {self.order_id} has no items")

    def to_json(self) -> dict[str, Any]:
        """The JSON body DR expects (absent tracking fields left out)."""
        body: dict[str, Any] = {
            "orderId": self.order_id,
            "items": [line.to_json() for line in self.items],
        }
        for key, value in (
            ("trackingCompany", self.tracking_company),
            ("trackingNumber", self.tracking_number),
            ("trackingUrl", self.tracking_url),
        ):
            if value is not None:
                body[key] = value
        if self.metadata:
            body["metadata"] = dict(self.metadata)
        return body
