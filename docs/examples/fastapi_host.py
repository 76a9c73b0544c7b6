"""A shop's FastAPI app embedding orderfsm: checkout, DR's webhooks and effects in one process.

Run it (``pip install 'orderfsm[server]' fastapi``)::

    SHOP_DB=sqlite:///shop.db DR_WEBHOOK_SECRET=whsec_... \\
        uvicorn --factory docs.examples.fastapi_host:app_from_env

What it shows (docs/embedding.md walks through it):

* one :class:`orderfsm.Engine`, opened at startup, closed at shutdown;
* ``POST /checkouts/{checkout_id}/orders``: record the submit, call DR's
  ``POST /orders`` (the shop's own client, :class:`DigitalRiver`), record the
  answer, tell the shopper what happens next (a redirect URL, if any);
* DR's webhooks received by orderfsm's receiver, mounted at ``/dr``
  (``/dr/webhooks/digitalriver``), stored in the inbox and answered 202;
* the inbox applied and the outbox delivered by a thread of this process
  (:class:`InProcessWorker`): no separate ``orderfsm worker`` to run;
* handlers for the effects the shop acts on, and orderfsm's errors turned
  into HTTP answers.

``tests/docs/test_embedding_example.py`` runs this file for real.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import orderfsm
from orderfsm.adapters.http import ReceiverConfig, create_app
from orderfsm.effects import OrderConfirmation, ShipmentRequest

log = logging.getLogger("shop")


class DigitalRiver(Protocol):
    """The shop's own DR client: orderfsm records DR's answers, it does not call DR."""

    def create_order(self, checkout_id: str, upstream_id: str) -> tuple[int, Mapping[str, Any]]:
        """Call ``POST /orders`` for the checkout; return DR's status and JSON body."""
        ...


class Warehouse(Protocol):
    """Where the shop sends what to ship and what to tell the customer."""

    def ship(self, key: str, request: ShipmentRequest) -> None:
        """Ship the items; ``key`` is the same on a retry, so the warehouse drops repeats."""
        ...

    def confirm(self, key: str, confirmation: OrderConfirmation) -> None:
        """Email the order confirmation (``key`` as the Message-ID)."""
        ...


class PlaceOrder(BaseModel):
    """The shop's checkout form, as far as orderfsm cares."""

    upstream_id: str


class InProcessWorker:
    """Applies the inbox, then delivers due effects, in a thread, until stopped.

    The same rounds ``orderfsm worker`` runs; several processes (or a
    separate worker) may run them on one database at once.
    """

    def __init__(
        self, engine: orderfsm.Engine, dispatcher: orderfsm.Dispatcher, *, every: float
    ) -> None:
        self._engine, self._dispatcher, self._every = engine, dispatcher, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shop-orderfsm", daemon=True)

    def start(self) -> None:
        """Start the rounds."""
        self._thread.start()

    def stop(self) -> None:
        """Let the current round finish, then stop."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                inbox = orderfsm.drain_inbox(self._engine)
                effects = self._dispatcher.run_once()
                busy = inbox.claimed + effects.handled
            except Exception as exc:  # the database restarting, say: log, rest, try again
                log.warning("orderfsm round failed: %s", exc)
                busy = 0
            if not busy:
                self._stop.wait(self._every)


def handlers(warehouse: Warehouse) -> orderfsm.HandlerRegistry:
    """The shop's handlers; unregistered effects wait in the outbox (and are reported)."""
    registry = orderfsm.HandlerRegistry()

    @registry.handler(orderfsm.EffectName.REQUEST_SHIPMENT)
    def ship(effect: orderfsm.Effect[ShipmentRequest]) -> None:
        warehouse.ship(effect.key, effect.payload)

    @registry.handler(orderfsm.EffectName.SEND_ORDER_CONFIRMATION)
    def confirm(effect: orderfsm.Effect[OrderConfirmation]) -> None:
        warehouse.confirm(effect.key, effect.payload)

    return registry


def create_shop(
    database_url: str,
    webhook_secrets: tuple[str, ...],
    digital_river: DigitalRiver,
    warehouse: Warehouse,
    *,
    worker_every: float = 1.0,
) -> FastAPI:
    """The shop's app on the database at ``database_url``."""
    engine = orderfsm.Engine.open(database_url, create_if_empty=True)
    dispatcher = orderfsm.Dispatcher.from_engine(engine, handlers(warehouse))
    worker = InProcessWorker(engine, dispatcher, every=worker_every)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker.start()
        try:
            yield
        finally:
            worker.stop()
            engine.close()

    app = FastAPI(lifespan=lifespan)
    # The receiver shares the engine's connections; it verifies DR's signature,
    # stores the event and answers 202. The worker thread applies it later.
    app.mount("/dr", create_app(ReceiverConfig(engine, secrets=webhook_secrets)))

    @app.post("/checkouts/{checkout_id}/orders")
    def place_order(checkout_id: str, form: PlaceOrder) -> dict[str, Any]:
        # Recorded before DR is called: a crash in between leaves a submitted
        # order that DR's webhooks (or a retried call) complete.
        engine.submit(form.upstream_id, checkout_id)
        status, body = digital_river.create_order(checkout_id, form.upstream_id)
        result = engine.record_create_order_response(form.upstream_id, status, body)
        return {
            "upstreamId": form.upstream_id,
            "state": result.state,
            "redirectUrl": result.redirect_url,
        }

    @app.get("/orders/{ref}")
    def order(ref: str) -> dict[str, Any]:
        view: dict[str, Any] = engine.show(ref).to_json()
        return view

    _answer_errors(app)
    return app


def _answer_errors(app: FastAPI) -> None:
    """orderfsm's errors as HTTP answers; their messages are one line and hold no secret."""
    statuses = {
        orderfsm.OrderNotFound: 404,
        orderfsm.OrderConflict: 409,
        orderfsm.PayloadError: 502,  # DR answered something orderfsm cannot read
        orderfsm.DatabaseUnavailable: 503,
        orderfsm.ContentionExhausted: 503,
    }
    for error, status in statuses.items():

        async def answer(_request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"error": str(exc)}, status_code=status)

        app.add_exception_handler(error, answer)


def app_from_env() -> FastAPI:
    """The app as ``uvicorn --factory`` builds it (a stand-in DR and warehouse that only log)."""

    class LoggingWarehouse:
        def ship(self, key: str, request: ShipmentRequest) -> None:
            log.info("ship %s: %s", key, [item.id for item in request.items])

        def confirm(self, key: str, confirmation: OrderConfirmation) -> None:
            log.info("confirm %s to %s", key, confirmation.email)

    class NoDigitalRiver:
        def create_order(self, checkout_id: str, upstream_id: str) -> tuple[int, Mapping[str, Any]]:
            return 404, {"type": "not_found", "errors": [{"code": "not_found"}]}

    return create_shop(
        os.environ["SHOP_DB"],
        (os.environ["DR_WEBHOOK_SECRET"],),
        NoDigitalRiver(),
        LoggingWarehouse(),
    )
