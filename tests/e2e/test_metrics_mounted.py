"""The observed receiver mounted in a host's Starlette app, and the host's registry left alone."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from prometheus_client import REGISTRY, CollectorRegistry, Counter
from starlette.applications import Starlette
from starlette.routing import Mount

from orderfsm import Engine
from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from orderfsm.adapters.http import ReceiverConfig, create_app
from orderfsm.adapters.http.metrics import observe
from orderfsm.observability import Metrics
from orderfsm.observability.asgi import metrics_route
from tests.support.metrics import parse, value

EVENT = Path(__file__).parents[1] / "fixtures" / "dr" / "events" / "order.accepted__1.json"
SECRET = "whsec_host"


def test_a_receiver_mounted_under_a_prefix_counts_its_answers_and_serves_them(
    sqlite_url: str,
) -> None:
    Engine.open(sqlite_url, create_if_empty=True).close()
    config = ReceiverConfig(sqlite_url, secrets=(SECRET,))
    metrics = Metrics()
    host = Starlette(routes=[Mount("/dr", app=observe(create_app(config), config, metrics))])
    body = EVENT.read_bytes()

    async def talk() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            signed = {SIGNATURE_HEADER: sign(body, SECRET, int(time.time()))}
            return [
                await client.post("/dr/webhooks/digitalriver", content=body, headers=signed),
                await client.post("/dr/webhooks/digitalriver", content=body, headers=signed),
                await client.post("/dr/webhooks/digitalriver", content=body),
                await client.get("/dr/healthz"),
                await client.get("/dr/metrics"),
            ]

    *answers, page = asyncio.run(talk())
    samples = parse(page.text)

    assert [a.status_code for a in answers] == [202, 202, 401, 200]
    assert page.status_code == 200
    webhooks = "orderfsm_webhooks_received_total"
    assert value(samples, webhooks, code="202", answer="stored") == 1
    assert value(samples, webhooks, code="202", answer="duplicate") == 1
    assert value(samples, webhooks, code="401", answer="signature") == 1
    assert value(samples, "orderfsm_inbox_entries", status="received") == 1


def test_metrics_keep_to_their_own_registry_unless_the_host_gives_one() -> None:
    ours = Metrics()
    theirs = CollectorRegistry()
    shared = Metrics(theirs)
    host_counter = Counter("shop_orders", "The host's own.", registry=theirs)
    host_counter.inc()
    ours.webhook_answered(202, "stored")

    assert (
        REGISTRY.get_sample_value(
            "orderfsm_webhooks_received_total", {"code": "202", "answer": "stored"}
        )
        is None
    )
    assert ours.registry.get_sample_value("shop_orders_total") is None
    assert theirs.get_sample_value("shop_orders_total") == 1
    assert shared.registry is theirs
    assert (
        theirs.get_sample_value(
            "orderfsm_webhooks_received_total", {"code": "202", "answer": "stored"}
        )
        == 0
    )


def test_the_metrics_route_refuses_whom_allow_refuses() -> None:
    metrics = Metrics()
    app = Starlette(
        routes=[metrics_route(metrics.registry, allow=lambda r: r.headers.get("x-op") == "yes")]
    )

    async def talk() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            return [
                await client.get("/metrics"),
                await client.get("/metrics", headers={"x-op": "yes"}),
            ]

    refused, allowed = asyncio.run(talk())

    assert refused.status_code == 401 and "orderfsm_" not in refused.text
    assert allowed.status_code == 200 and "orderfsm_webhooks_received_total" in allowed.text
