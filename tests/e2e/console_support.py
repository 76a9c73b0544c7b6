"""The console's test bed: a database made the way production makes it, and a console serving it.

:func:`seed` stores DR's webhooks in the inbox as the receiver does, applies
them with the inbox worker (:func:`orderfsm.drain_inbox`), and delivers the
effects with a real dispatcher whose warehouse handler refuses for good, so
the shipment is ``dead``. One more delivery is unreadable: a dead inbox
entry. The item name of the fulfilled event is ``<script>alert(1)</script>``.
:func:`running_console` serves it with ``orderfsm console`` in a subprocess.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orderfsm
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.inbox import store_event
from orderfsm.samples.builders import Item, OrderSketch
from tests.e2e.http_receiver import Receiver, running_server
from tests.support.cli import ORDERFSM
from tests.support.seeding import store_webhooks

PASSWORD = "console-test-password"
USER = "ops-alice"
HOSTILE_NAME = "<script>alert(1)</script>"
WAREHOUSE_REFUSAL = "warehouse refused: SKU <b>widget</b> unknown"
UNREADABLE_EVENT_ID = "evt-unreadable-1"


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` made: the order's three ids and the dead effect's key."""

    upstream_id: str
    dr_order_id: str
    checkout_id: str
    dead_key: str
    event_types: tuple[str, ...]
    """The order's history as the engine recorded it (event type or origin), in order."""


def auth_header(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    """The basic credentials as a header."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _hostile(order: dict[str, Any]) -> dict[str, Any]:
    order["items"][0]["productDetails"]["name"] = HOSTILE_NAME
    return order


DECLINE_CODE = "do_not_honor"
DECLINE_MESSAGE = "Your card was declined."


def _declined_first(order: dict[str, Any]) -> dict[str, Any]:
    """A first card declined (DR's code for operators, a sentence for the shopper)."""
    declined = dict(order["payment"]["charges"][0])
    declined |= {
        "id": "ch-declined",
        "state": "failed",
        "failureCode": DECLINE_CODE,
        "failureMessage": DECLINE_MESSAGE,
    }
    order["payment"]["charges"].insert(0, declined)
    return order


def seed(db_url: str) -> Seeded:
    """One accepted, then fulfilled order (dead shipment), another accepted one, a dead delivery."""
    start = datetime.now(UTC) - timedelta(hours=2)
    sketch = OrderSketch(
        dr_order_id="240000009001",
        checkout_id="co-9001",
        upstream_id="SHOP-9001",
        items=[Item("it-1", "widget", 2, 20.0, True), Item("it-2", "ebook", 1, 9.0, False)],
        charge_ids=("ch-9001",),
    )
    other = OrderSketch("240000009002", "co-9002", "SHOP-9002", [Item("it-9", "mug", 1, 5.0, True)])
    accepted = sketch.order("accepted", start + timedelta(minutes=1), fraud_state="passed")
    fulfilled = _hostile(
        sketch.order("fulfilled", start + timedelta(minutes=30), charge_state="complete")
    )
    events = [
        sketch.event("order.accepted", _hostile(accepted), start + timedelta(minutes=1)),
        sketch.event("order.fulfilled", fulfilled, start + timedelta(minutes=30)),
        other.event("order.accepted", _declined_first(other.order("accepted", start)), start),
    ]
    with orderfsm.Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit(sketch.upstream_id, sketch.checkout_id)
        engine.submit(other.upstream_id, other.checkout_id)
        store_webhooks(engine, events)
        store_event(
            engine.db,
            event_id=UNREADABLE_EVENT_ID,
            event_type="order.accepted",
            body="{not json",
            now=utcnow(),
        )
        orderfsm.drain_inbox(engine)
        _deliver(engine)
        view = engine.show(sketch.upstream_id)
    dead = [e.key for e in view.effects if e.status == "dead"]
    assert len(dead) == 1, view.effects
    return Seeded(
        upstream_id=sketch.upstream_id,
        dr_order_id=sketch.dr_order_id,
        checkout_id=sketch.checkout_id,
        dead_key=dead[0],
        event_types=tuple(entry.event_type or entry.origin for entry in view.history),
    )


def _deliver(engine: orderfsm.Engine) -> None:
    registry = orderfsm.HandlerRegistry()

    @registry.handler(orderfsm.EffectName.REQUEST_SHIPMENT)
    def ship(_effect: Any) -> None:
        raise orderfsm.PermanentEffectError(WAREHOUSE_REFUSAL)

    for name in orderfsm.EffectName:
        if name is not orderfsm.EffectName.REQUEST_SHIPMENT:
            registry.register(name, lambda _effect: None)
    with orderfsm.Dispatcher.from_engine(engine, registry) as dispatcher:
        dispatcher.run_once()


@contextmanager
def running_console(db_url: str, *args: str, password: str | None = PASSWORD) -> Iterator[Receiver]:
    """``orderfsm console --db URL --port 0`` (with the password in its environment)."""
    env = {"ORDERFSM_CONSOLE_USER": USER}
    if password is not None:
        env["ORDERFSM_CONSOLE_PASSWORD"] = password
    argv = [ORDERFSM, "console", "--db", db_url, "--host", "127.0.0.1", "--port", "0", *args]
    with running_server(argv, env=env) as console:
        yield console
