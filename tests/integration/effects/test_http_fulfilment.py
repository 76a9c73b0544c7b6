"""The HTTP fulfilment client against a real local HTTP server, through the dispatcher."""

from __future__ import annotations

from datetime import timedelta

from orderfsm.adapters.handlers import HttpFulfilmentClient, HttpFulfilmentConfig
from orderfsm.dispatch import DispatchConfig, Dispatcher, HandlerRegistry
from orderfsm.persistence import EffectStatus
from orderfsm.service import Engine
from tests.support.net import free_port

from .servers import Script, http_server
from .support import Clock, accept, clock_after_now, effects, sketch

CONFIG = DispatchConfig(base_delay=timedelta(seconds=30), jitter=0.0, max_attempts=4)
SHIPMENT_KEY = "UP1:accepted:request_shipment"


def dispatcher(engine: Engine, base_url: str, clock: Clock, timeout: float = 10.0) -> Dispatcher:
    client = HttpFulfilmentClient(
        HttpFulfilmentConfig(
            shipment_url=f"{base_url}/shipments",
            digital_delivery_url=f"{base_url}/deliveries",
            timeout=timeout,
            headers={"Authorization": "Bearer test-token"},
        )
    )
    registry = HandlerRegistry()
    client.register(registry)
    return Dispatcher(engine.db, registry, CONFIG, clock)


def test_ship_requests_and_deliveries_are_posted_as_json_with_their_idempotency_key(
    engine: Engine,
) -> None:
    accept(engine, sketch(1, physical=(True, False)))
    script = Script(answers=[(201, 0)])

    with http_server(script) as url:
        report = dispatcher(engine, url, clock_after_now()).run_once()

    assert report.done == 2
    by_path = {r.path: r for r in script.requests}
    assert set(by_path) == {"/shipments", "/deliveries"}
    shipment = by_path["/shipments"]
    assert shipment.headers["idempotency-key"] == SHIPMENT_KEY
    assert shipment.headers["authorization"] == "Bearer test-token"
    assert shipment.headers["content-type"] == "application/json"
    assert shipment.body["orderId"] == "DR1"
    assert shipment.body["upstreamId"] == "UP1"
    assert [(i["id"], i["skuId"], i["quantity"]) for i in shipment.body["items"]] == [
        ("it-1-0", "sku-0", 1)
    ]
    assert shipment.body["shipTo"]["address"]["city"] == "Minneapolis"
    delivery = by_path["/deliveries"]
    assert delivery.headers["idempotency-key"] == "UP1:accepted:deliver_digital"
    assert delivery.body["email"] == "shopper1@example.com"
    assert [i["id"] for i in delivery.body["items"]] == ["it-1-1"]


def test_a_5xx_then_a_2xx_gives_one_done_after_a_retry_with_the_same_key(engine: Engine) -> None:
    accept(engine, sketch(1, physical=(True,)))
    script = Script(answers=[(503, 0), (200, 0)])
    clock = clock_after_now()

    with http_server(script) as url:
        worker = dispatcher(engine, url, clock)
        first = worker.run_once()
        after_failure = effects(engine)[SHIPMENT_KEY]
        clock.advance(CONFIG.base_delay)
        second = worker.run_once()

    assert (first.retried, first.done) == (1, 0)
    assert (after_failure.status, after_failure.attempts) == (EffectStatus.FAILED, 1)
    assert after_failure.last_error is not None and "answered 503" in after_failure.last_error
    assert (second.done, second.retried) == (1, 0)
    row = effects(engine)[SHIPMENT_KEY]
    assert (row.status, row.attempts) == (EffectStatus.DONE, 2)
    assert [r.headers["idempotency-key"] for r in script.requests] == [SHIPMENT_KEY] * 2
    assert script.requests[0].body == script.requests[1].body


def test_a_4xx_answer_makes_the_effect_dead_without_a_retry(engine: Engine) -> None:
    accept(engine, sketch(1, physical=(True,)))
    script = Script(answers=[(422, 0), (200, 0)])
    clock = clock_after_now()

    with http_server(script) as url:
        worker = dispatcher(engine, url, clock)
        report = worker.run_once()
        clock.advance(timedelta(days=1))
        later = worker.run_once()

    row = effects(engine)[SHIPMENT_KEY]
    assert (report.dead, later.handled) == (1, 0)
    assert (row.status, row.attempts) == (EffectStatus.DEAD, 1)
    assert row.last_error is not None and "answered 422" in row.last_error
    assert len(script.requests) == 1


def test_a_409_means_the_receiver_already_has_this_key_and_counts_as_done(
    engine: Engine,
) -> None:
    accept(engine, sketch(1, physical=(True,)))
    script = Script(answers=[(409, 0)])

    with http_server(script) as url:
        report = dispatcher(engine, url, clock_after_now()).run_once()

    assert report.done == 1
    assert effects(engine)[SHIPMENT_KEY].status == EffectStatus.DONE


def test_a_429_asks_to_come_back_later_and_is_retried(engine: Engine) -> None:
    accept(engine, sketch(1, physical=(True,)))
    script = Script(answers=[(429, 0)])

    with http_server(script) as url:
        report = dispatcher(engine, url, clock_after_now()).run_once()

    assert report.retried == 1
    assert effects(engine)[SHIPMENT_KEY].status == EffectStatus.FAILED


def test_a_timeout_is_retried_with_the_same_key(engine: Engine) -> None:
    accept(engine, sketch(1, physical=(True,)))
    # The first answer never comes within the timeout; the second must come
    # within it on a loaded machine too (a 0.2 s timeout did not always).
    script = Script(answers=[(200, 60.0), (200, 0)])
    clock = clock_after_now()

    with http_server(script) as url:
        worker = dispatcher(engine, url, clock, timeout=2.0)
        first = worker.run_once()
        clock.advance(CONFIG.base_delay)
        second = worker.run_once()

    assert (first.retried, second.done) == (1, 1)
    assert [r.headers["idempotency-key"] for r in script.requests] == [SHIPMENT_KEY] * 2


def test_a_receiver_that_is_down_is_retried(engine: Engine) -> None:
    accept(engine, sketch(1, physical=(True,)))

    report = dispatcher(engine, f"http://127.0.0.1:{free_port()}", clock_after_now()).run_once()

    row = effects(engine)[SHIPMENT_KEY]
    assert (report.retried, row.status) == (1, EffectStatus.FAILED)
    assert row.last_error is not None and "ConnectError" in row.last_error
