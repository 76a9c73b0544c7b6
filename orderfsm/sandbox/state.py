"""Everything the sandbox remembers: checkouts, orders, fulfilments, events; one lock.

The HTTP layer (:mod:`.app`) turns requests into calls here and answers
with what these return; webhooks for new events go to ``on_event``.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.sandbox.config import SandboxConfig
from orderfsm.sandbox.fulfilments import FulfilmentAnswer, bad_request, fulfil, not_found
from orderfsm.sandbox.orders import SandboxOrder
from orderfsm.sandbox.scenarios import PLANS, Scenario, scenario_for

FIRST_ORDER_NUMBER = 240_000_000_001
"""DR order ids are numeric strings; the sandbox counts up from here."""

_TICK = timedelta(microseconds=1)


@dataclass(slots=True)
class Checkout:
    """A checkout waiting to become an order (or already consumed)."""

    id: str
    scenario: Scenario
    upstream_id: str
    items: tuple[Item, ...]
    email: str = "shopper@example.com"
    order_id: str | None = None
    refused: bool = False

    def to_json(self) -> dict[str, Any]:
        """What the control API shows of a checkout."""
        return {
            "id": self.id,
            "scenario": self.scenario.value,
            "upstreamId": self.upstream_id or None,
            "orderId": self.order_id,
            "items": [
                {"sku": i.sku, "quantity": i.quantity, "amount": i.amount, "physical": i.physical}
                for i in self.items
            ],
        }


def default_items() -> tuple[Item, ...]:
    """Two lines, one shipped and one digital, for checkouts created without items."""
    return (
        Item("", "sku-mug", quantity=2, amount=12.5, physical=True),
        Item("", "sku-ebook", quantity=1, amount=9.99, physical=False),
    )


class SandboxState:
    """The sandbox's memory; every method is atomic under one lock."""

    def __init__(
        self,
        config: SandboxConfig,
        on_event: Callable[[dict[str, Any]], None] = lambda _event: None,
    ) -> None:
        self.config = config
        self._on_event = on_event
        self._lock = threading.RLock()
        self._numbers = itertools.count(FIRST_ORDER_NUMBER)
        self._last_time: datetime | None = None
        self.checkouts: dict[str, Checkout] = {}
        self.orders: dict[str, SandboxOrder] = {}
        self.order_ids: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.fulfillments: list[dict[str, Any]] = []

    def now(self) -> datetime:
        """DR's clock, strictly increasing, so events sort by time as they happened."""
        moment = self.config.clock()
        if self._last_time is not None and moment <= self._last_time:
            moment = self._last_time + _TICK
        self._last_time = moment
        return moment

    # -- checkouts and orders ---------------------------------------------------

    def create_checkout(
        self,
        *,
        scenario: Scenario | None = None,
        checkout_id: str | None = None,
        upstream_id: str = "",
        items: Sequence[Item] = (),
        email: str | None = None,
    ) -> Checkout:
        """A new checkout; its id is made up unless given (an id already used is refused)."""
        with self._lock:
            cid = checkout_id or str(uuid.uuid4())
            if cid in self.checkouts:
                raise KeyError(cid)
            checkout = Checkout(
                cid,
                scenario or scenario_for(cid, self.config.default_scenario),
                upstream_id,
                tuple(items) or default_items(),
            )
            if email:
                checkout.email = email
            self.checkouts[cid] = checkout
            return checkout

    def create_order(self, checkout_id: str) -> tuple[int, dict[str, Any]]:
        """``POST /orders``: DR's status and body for this checkout."""
        with self._lock:
            checkout = self.checkouts.get(checkout_id) or self.create_checkout(
                checkout_id=checkout_id
            )
            if checkout.order_id is not None or checkout.refused:
                return 404, not_found(f"Checkout '{checkout_id}' not found.", "checkoutId")
            plan = PLANS[checkout.scenario]
            if plan.refusal is not None:
                checkout.refused = plan.refusal.consumes_checkout
                return plan.refusal.status, dict(plan.refusal.body)
            order = self._new_order(checkout, plan.states)
            at = self.now()
            announced = order.enter(order.state, at)
            answer = order.body(at)
            self._emit([announced])
            if self.config.auto_advance:
                while order.upcoming:
                    self.advance(order.id)
            return 201, answer

    def _new_order(self, checkout: Checkout, states: Sequence[str]) -> SandboxOrder:
        number = next(self._numbers)
        items = [
            Item(f"{number}{line:02d}", i.sku, i.quantity, i.amount, i.physical)
            for line, i in enumerate(checkout.items, start=1)
        ]
        sketch = OrderSketch(
            str(number),
            checkout.id,
            checkout.upstream_id,
            items,
            charge_ids=(f"ch_{number}",),
            email=checkout.email,
        )
        order = SandboxOrder(sketch, states[0], list(states[1:]))
        checkout.order_id = order.id
        self.orders[order.id] = order
        self.order_ids.append(order.id)
        return order

    def advance(self, order_id: str) -> SandboxOrder | None:
        """Move an order to its scenario's next state (``None``: no such order)."""
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                return None
            if order.upcoming:
                self._emit([order.enter(order.upcoming.pop(0), self.now())])
            return order

    def order_body(self, order_id: str) -> dict[str, Any] | None:
        """``GET /orders/{id}`` (``None``: unknown id)."""
        with self._lock:
            order = self.orders.get(order_id)
            return None if order is None else order.body(self.now())

    def find_orders(
        self,
        *,
        checkout_id: str | None = None,
        upstream_ids: Iterable[str] = (),
        ids: Iterable[str] = (),
        state: str | None = None,
    ) -> list[dict[str, Any]]:
        """Orders matching DR's filters, newest first."""
        wanted_upstream, wanted_ids = set(upstream_ids), set(ids)
        with self._lock:
            at = self.now()
            found = []
            for order_id in reversed(self.order_ids):
                order = self.orders[order_id]
                if checkout_id is not None and order.sketch.checkout_id != checkout_id:
                    continue
                if wanted_upstream and order.sketch.upstream_id not in wanted_upstream:
                    continue
                if wanted_ids and order_id not in wanted_ids:
                    continue
                if state is not None and order.state != state:
                    continue
                found.append(order.body(at))
            return found

    # -- fulfilments and events ---------------------------------------------------

    def create_fulfillment(self, request: dict[str, Any]) -> FulfilmentAnswer:
        """``POST /fulfillments``: capture or cancel items of an order."""
        with self._lock:
            order_id = request.get("orderId")
            if not isinstance(order_id, str) or not order_id:
                return FulfilmentAnswer(
                    400, bad_request("missing_parameter", "orderId is required", "orderId")
                )
            order = self.orders.get(order_id)
            if order is None:
                return FulfilmentAnswer(404, not_found(f"Order '{order_id}' not found.", "orderId"))
            answer = fulfil(order, request, self.now())
            if answer.status == 201:
                self.fulfillments.append(answer.body)
                self._emit(answer.events)
            return answer

    def all_fulfillments(self) -> list[dict[str, Any]]:
        """Every fulfilment made, oldest first."""
        with self._lock:
            return list(self.fulfillments)

    def find_events(
        self,
        *,
        types: Iterable[str] = (),
    ) -> list[dict[str, Any]]:
        """Events of these types (all without), newest first (DR documents no order)."""
        wanted = set(types)
        with self._lock:
            return [e for e in reversed(self.events) if not wanted or e["type"] in wanted]

    def event(self, event_id: str) -> dict[str, Any] | None:
        """``GET /events/{id}``."""
        with self._lock:
            return next((e for e in self.events if e["id"] == event_id), None)

    def _emit(self, events: Iterable[dict[str, Any]]) -> None:
        for item in events:
            self.events.append(item)
            self._on_event(item)
