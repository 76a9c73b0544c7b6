"""The receiver mounted inside a host's own Starlette app (no lifespan of its own there)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from orderfsm import Engine
from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from orderfsm.adapters.http import ReceiverConfig, create_app
from orderfsm.persistence import inbox as store

EVENT = Path(__file__).parents[1] / "fixtures" / "dr" / "events" / "order.accepted__1.json"


def test_a_receiver_mounted_under_a_prefix_stores_events_and_reports_health(
    sqlite_url: str,
) -> None:
    Engine.open(sqlite_url, create_if_empty=True).close()
    receiver = create_app(ReceiverConfig(sqlite_url, secrets=("whsec_host",)))
    host = Starlette(
        routes=[
            Route("/", lambda _request: PlainTextResponse("the shop")),
            Mount("/dr", app=receiver),
        ]
    )
    body = EVENT.read_bytes()

    async def talk() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            headers = {SIGNATURE_HEADER: sign(body, "whsec_host", int(time.time()))}
            return (
                await client.get("/"),
                await client.post("/dr/webhooks/digitalriver", content=body, headers=headers),
                await client.get("/dr/healthz"),
            )

    home, delivery, health = asyncio.run(talk())

    assert home.text == "the shop"
    assert (delivery.status_code, delivery.json()["status"]) == (202, "stored")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    with Engine.open(sqlite_url) as engine:
        assert [e.event_type for e in store.entries(engine.db)] == ["order.accepted"]
