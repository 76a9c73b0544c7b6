"""The platform's fulfilments and cancellations reach DR once: engine, outbox, handler, sandbox.

Each test records a report through the engine, delivers the outbox with the
real dispatcher and the built-in ``report_fulfillment`` handler, and asks the
sandbox (real HTTP on 127.0.0.1) what DR recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from orderfsm import Engine
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.adapters.digitalriver.models_api import FulfillmentLine, FulfillmentRequest
from orderfsm.adapters.handlers import DrFulfilmentHandler
from orderfsm.dispatch import DispatchConfig, Dispatcher, HandlerRegistry
from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.items import ItemReport, Tracking
from orderfsm.fsm.outcomes import Outcome
from orderfsm.sandbox import RunningSandbox
from orderfsm.service.submission import SubmissionPolicy, submit_to_dr
from tests.dr_helpers import requests_seen, sandbox_and_client, set_faults

QUICK = SubmissionPolicy(backoff_initial_s=0.01, backoff_max_s=0.05)
NO_BACKOFF = DispatchConfig(base_delay=timedelta(0))


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    with Engine.open(sqlite_url, create_if_empty=True) as opened:
        yield opened


@pytest.fixture
def dr(engine: Engine) -> Iterator[tuple[RunningSandbox, DrClient, str, str]]:
    """An accepted order SHOP-1 at the sandbox: the sandbox, a client, the mug and ebook ids."""
    with sandbox_and_client() as (sandbox, client):
        submit_to_dr(engine, client, "SHOP-1", "accepted-1", policy=QUICK)
        mug, ebook = (line.item_id for line in engine.show("SHOP-1").items)
        yield sandbox, client, mug, ebook


def deliver(engine: Engine, client: DrClient) -> None:
    registry = HandlerRegistry()
    DrFulfilmentHandler(client).register(registry)
    Dispatcher(engine, registry, NO_BACKOFF).run_once()


def fulfilment_posts(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [r for r in requests_seen(sandbox) if r["path"] == "/fulfillments"]


def report_effects(engine: Engine) -> list[Any]:
    return [e for e in engine.show("SHOP-1").effects if e.type == EffectName.REPORT_FULFILLMENT]


def items_of(engine: Engine) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = engine.show("SHOP-1").to_json()["items"]
    return items


def test_the_accepted_order_lists_dr_s_items_with_nothing_reported(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    _sandbox, _client, mug, ebook = dr
    assert items_of(engine) == [
        {"itemId": mug, "quantity": 2, "fulfilled": 0, "cancelled": 0},
        {"itemId": ebook, "quantity": 1, "fulfilled": 0, "cancelled": 0},
    ]


def test_a_partial_fulfilment_is_posted_with_its_tracking_and_the_rest_stays_open(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    sandbox, client, mug, ebook = dr
    tracking = Tracking("UPS", "1Z999", "https://ups.example/1Z999")
    result = engine.report_fulfilment("SHOP-1", [ItemReport(mug, 1)], tracking=tracking)
    deliver(engine, client)

    assert result.outcome is Outcome.APPLIED
    assert [e.status for e in report_effects(engine)] == ["done"]
    posted = sandbox.state.fulfillments
    assert len(posted) == 1
    assert posted[0]["trackingNumber"] == "1Z999"
    assert [(i["itemId"], i.get("quantity")) for i in posted[0]["items"]] == [(mug, 1)]
    assert items_of(engine)[0] == {"itemId": mug, "quantity": 2, "fulfilled": 1, "cancelled": 0}
    assert client.get_order(engine.show("SHOP-1").order_id or "").model.state == "accepted"
    assert ebook


def test_a_full_fulfilment_completes_the_order_at_dr(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    sandbox, client, mug, ebook = dr
    engine.report_fulfilment("SHOP-1", [ItemReport(mug, 2), ItemReport(ebook, 1)])
    deliver(engine, client)

    assert [e.status for e in report_effects(engine)] == ["done"]
    assert len(fulfilment_posts(sandbox)) == 1
    assert client.get_order(engine.show("SHOP-1").order_id or "").model.state == "complete"
    assert [(i["fulfilled"], i["cancelled"]) for i in items_of(engine)] == [(2, 0), (1, 0)]


def test_a_fulfilment_dr_already_has_is_done_on_its_409_and_dr_records_it_once(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    sandbox, client, mug, _ebook = dr
    order_id = engine.show("SHOP-1").order_id or ""
    client.create_fulfillment(FulfillmentRequest(order_id, (FulfillmentLine(mug, 2),)))
    engine.report_fulfilment("SHOP-1", [ItemReport(mug, 2)])
    deliver(engine, client)

    assert [e.status for e in report_effects(engine)] == ["done"]
    assert [p["status"] for p in fulfilment_posts(sandbox)] == [201, 409]
    assert len(sandbox.state.fulfillments) == 1


def test_a_lost_answer_is_resent_and_dr_s_409_makes_it_done_so_dr_has_it_once(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    sandbox, client, mug, ebook = dr
    engine.report_fulfilment("SHOP-1", [ItemReport(mug, 2), ItemReport(ebook, 1)])
    set_faults(sandbox, "lose=1")
    deliver(engine, client)

    effect = report_effects(engine)[0]
    assert (effect.status, effect.attempts) == ("done", 2)
    assert len(sandbox.state.fulfillments) == 1


def test_more_than_is_open_is_refused_with_the_reason_before_any_call(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    sandbox, client, mug, _ebook = dr
    engine.report_fulfilment("SHOP-1", [ItemReport(mug, 1)])
    refused = engine.report_fulfilment("SHOP-1", [ItemReport(mug, 1, cancel_quantity=1)])
    unknown = engine.report_fulfilment("SHOP-1", [ItemReport("no-such-item", 1)])

    assert refused.outcome is Outcome.REFUSED
    assert refused.reason == f"within open quantities: item {mug}: 2 reported but 1 of 2 open"
    assert unknown.reason == "within open quantities: item no-such-item is not in the order"
    assert len(report_effects(engine)) == 1
    assert fulfilment_posts(sandbox) == []
    last = engine.show("SHOP-1").history[-2]
    assert (last.outcome, last.reason) == (Outcome.REFUSED, refused.reason)
    assert items_of(engine)[0]["fulfilled"] == 1
    assert client


def test_a_full_cancellation_before_shipment_cancels_every_item_at_dr(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    sandbox, client, mug, ebook = dr
    result = engine.cancel_everything_open("SHOP-1")
    deliver(engine, client)

    assert result.outcome is Outcome.APPLIED
    payload = report_effects(engine)[0].payload
    assert [(i["itemId"], i["cancelQuantity"]) for i in payload["items"]] == [(mug, 2), (ebook, 1)]
    assert client.get_order(engine.show("SHOP-1").order_id or "").model.state == "cancelled"
    assert [(i["fulfilled"], i["cancelled"]) for i in items_of(engine)] == [(0, 2), (0, 1)]
    assert (
        engine.cancel_everything_open("SHOP-1").reason == "within open quantities: nothing is open"
    )
    assert len(fulfilment_posts(sandbox)) == 1


def test_dr_s_quantity_too_large_goes_dead_with_dr_s_message(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    _sandbox, client, mug, _ebook = dr
    order_id = engine.show("SHOP-1").order_id or ""
    # Shipped outside orderfsm: DR knows of one mug the platform never reported.
    client.create_fulfillment(FulfillmentRequest(order_id, (FulfillmentLine(mug, 1),)))
    engine.report_fulfilment("SHOP-1", [ItemReport(mug, 2)])
    deliver(engine, client)

    effect = report_effects(engine)[0]
    assert effect.status == "dead"
    assert "quantity_too_large" in (effect.last_error or "")


def test_a_5xx_is_retried_until_dr_has_it(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    sandbox, client, mug, _ebook = dr
    engine.report_fulfilment("SHOP-1", [ItemReport(mug, 1)])
    set_faults(sandbox, "5xx=2")
    deliver(engine, client)

    effect = report_effects(engine)[0]
    posts = [r["status"] for r in requests_seen(sandbox) if r["path"] == "/fulfillments"]
    reads = [r["status"] for r in requests_seen(sandbox) if r["path"].startswith("/orders/")]
    events = [r for r in requests_seen(sandbox) if r["path"] == "/events"]
    assert (effect.status, effect.attempts) == ("done", 2)
    # The resend first asked DR: GET /orders/{id} met the second 500 (retried by the
    # client) and showed the mug untouched, so no events were read and the POST went.
    assert posts == [500, 201] and reads == [500, 200] and events == []
    assert len(sandbox.state.fulfillments) == 1


def test_an_unknown_order_is_an_error_and_nothing_is_parked(engine: Engine) -> None:
    from orderfsm.errors import OrderNotFound

    with pytest.raises(OrderNotFound):
        engine.report_fulfilment("SHOP-404", [ItemReport("it", 1)])


def test_a_report_sent_again_with_its_id_is_a_duplicate(
    engine: Engine, dr: tuple[RunningSandbox, DrClient, str, str]
) -> None:
    _sandbox, _client, mug, _ebook = dr
    first = engine.report_fulfilment("SHOP-1", [ItemReport(mug, 1)], report_id="r-1")
    again = engine.report_fulfilment("SHOP-1", [ItemReport(mug, 1)], report_id="r-1")

    assert (first.outcome, again.outcome) == (Outcome.APPLIED, Outcome.DUPLICATE)
    assert items_of(engine)[0]["fulfilled"] == 1
    assert len(report_effects(engine)) == 1
