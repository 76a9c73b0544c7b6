"""docs/examples/fastapi_host.py, run as the shop would: checkout, a signed DR webhook, effects.

The app is the example file itself, imported from docs/ and served by a real
uvicorn on 127.0.0.1 (lifespan on, so the example's in-process worker thread
really applies the inbox and delivers the outbox), spoken to over HTTP. Digital
River is the one stand-in: a client that answers ``POST /orders`` with a
DR-shaped order, as the shop's own DR client would.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from orderfsm import Engine
from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from orderfsm.adapters.http.server import serving
from orderfsm.effects import OrderConfirmation, ShipmentRequest
from orderfsm.persistence import inbox as inbox_store
from orderfsm.samples.builders import Item, OrderSketch

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "fastapi_host.py"
SECRET = "whsec_shop"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WAIT_S = 60.0
"""How long to wait for the worker thread (a bound on a hang, not a speed check)."""


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fastapi_host", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class ReviewingDigitalRiver:
    """DR as the shop's client sees it: the order is created ``in_review``."""

    orders: dict[str, OrderSketch] = field(default_factory=dict)

    def create_order(self, checkout_id: str, upstream_id: str) -> tuple[int, Mapping[str, Any]]:
        sketch = OrderSketch(
            f"DR-{upstream_id}",
            checkout_id,
            upstream_id,
            [Item("it-1", "book", 1, 20.0, True), Item("it-2", "ebook", 1, 9.0, False)],
        )
        self.orders[upstream_id] = sketch
        return 201, sketch.order("in_review", T0)


@dataclass
class Warehouse:
    shipped: dict[str, list[str]] = field(default_factory=dict)
    confirmed: dict[str, str | None] = field(default_factory=dict)

    def ship(self, key: str, request: ShipmentRequest) -> None:
        self.shipped[key] = [item.id for item in request.items]

    def confirm(self, key: str, confirmation: OrderConfirmation) -> None:
        self.confirmed[key] = confirmation.order_id


@dataclass
class Shop:
    client: httpx.Client
    dr: ReviewingDigitalRiver
    warehouse: Warehouse
    url: str


@pytest.fixture
def shop(sqlite_url: str) -> Iterator[Shop]:
    dr, warehouse = ReviewingDigitalRiver(), Warehouse()
    app = load_example().create_shop(sqlite_url, (SECRET,), dr, warehouse, worker_every=0.05)
    with serving(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield Shop(client, dr, warehouse, sqlite_url)


def deliver(client: httpx.Client, event: Mapping[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(event).encode()
    headers = {SIGNATURE_HEADER: sign(body, secret, int(time.time()))}
    return client.post("/dr/webhooks/digitalriver", content=body, headers=headers)


def wait_for(check: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, "the example's worker thread did not get there"
        time.sleep(0.05)


def _effect_statuses(shop: Shop) -> dict[str, str]:
    order = shop.client.get("/orders/SHOP-1").json()
    return {e["type"]: e["status"] for e in order["effects"]}


def test_a_checkout_then_dr_accepting_it_ships_and_confirms_once(shop: Shop) -> None:
    placed = shop.client.post("/checkouts/CO-1/orders", json={"upstream_id": "SHOP-1"})
    assert placed.status_code == 200, placed.text
    assert placed.json() == {"upstreamId": "SHOP-1", "state": "in_review", "redirectUrl": None}

    sketch = shop.dr.orders["SHOP-1"]
    accepted = sketch.order("accepted", T0 + timedelta(minutes=2), fraud_state="passed")
    event = sketch.event("order.accepted", accepted, T0 + timedelta(minutes=2))
    stored = deliver(shop.client, event)
    again = deliver(shop.client, event)

    assert (stored.status_code, stored.json()["status"]) == (202, "stored")
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    wait_for(lambda: shop.warehouse.shipped and shop.warehouse.confirmed)
    assert shop.warehouse.shipped == {"SHOP-1:accepted:request_shipment": ["it-1"]}
    assert shop.warehouse.confirmed == {"SHOP-1:accepted:send_order_confirmation": "DR-SHOP-1"}
    # The handler has run; the dispatcher writes its result just after: wait for that write.
    wait_for(lambda: _effect_statuses(shop)["request_shipment"] != "pending")
    order = shop.client.get("/orders/SHOP-1").json()
    assert order["state"] == "accepted"
    effects = {e["type"]: e["status"] for e in order["effects"]}
    assert effects["request_shipment"] == "done"
    assert effects["deliver_digital"] == "pending"  # no handler registered: it waits


def test_a_forged_delivery_is_refused_and_changes_nothing(shop: Shop) -> None:
    shop.client.post("/checkouts/CO-2/orders", json={"upstream_id": "SHOP-2"})
    sketch = shop.dr.orders["SHOP-2"]
    accepted = sketch.order("accepted", T0 + timedelta(minutes=2), fraud_state="passed")

    forged = deliver(shop.client, sketch.event("order.accepted", accepted, T0), "whsec_forger")

    assert forged.status_code == 401
    with Engine.open(shop.url) as engine:
        assert inbox_store.entries(engine.db, status=None, limit=10) == []
    assert shop.client.get("/orders/SHOP-2").json()["state"] == "in_review"


def test_an_unknown_order_is_a_404_naming_the_reference(shop: Shop) -> None:
    answer = shop.client.get("/orders/SHOP-404")

    assert answer.status_code == 404
    assert answer.json() == {
        "error": "no order with upstream id, DR order id or checkout id 'SHOP-404'"
    }


def test_an_upstream_id_bound_to_another_checkout_is_a_409(shop: Shop) -> None:
    shop.client.post("/checkouts/CO-3/orders", json={"upstream_id": "SHOP-3"})

    answer = shop.client.post("/checkouts/CO-OTHER/orders", json={"upstream_id": "SHOP-3"})

    assert answer.status_code == 409
    assert "SHOP-3" in answer.json()["error"]
