"""The DR client against the sandbox over real HTTP: calls, paging, retries, 429s, errors."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from orderfsm.adapters.digitalriver.client import FULFILLMENT_DONE_CODES, DrClient
from orderfsm.adapters.digitalriver.models_api import FulfillmentLine, FulfillmentRequest
from orderfsm.errors import DrRateLimited, DrRequestRejected, DrUnreachable
from orderfsm.sandbox import SandboxConfig
from tests.dr_helpers import FAST_RETRIES as FAST
from tests.dr_helpers import requests_seen, sandbox_and_client, set_faults


def test_get_orders_pages_over_more_than_100_orders_by_cursor() -> None:
    with sandbox_and_client() as (_sandbox, client):
        made = {client.create_order(f"chk-{n}").order.id for n in range(130)}  # type: ignore[union-attr]

        first = client.list_orders(limit=100)
        second = client.list_orders(limit=100, starting_after=first.last_id)
        walked = [o.model.id for o in client.iter_orders()]

    assert (len(first.items), first.has_more) == (100, True)
    assert (len(second.items), second.has_more) == (30, False)
    assert len(walked) == len(set(walked)) == 130
    assert set(walked) == made


def test_get_orders_filters_by_checkout_upstream_ids_and_ids() -> None:
    with sandbox_and_client() as (sandbox, client):
        sandbox.state.create_checkout(checkout_id="chk-a", upstream_id="SHOP-A")
        sandbox.state.create_checkout(checkout_id="chk-b", upstream_id="SHOP-B")
        a = client.create_order("chk-a").order
        b = client.create_order("chk-b").order
        client.create_order("chk-c")
        assert a is not None and b is not None

        by_checkout = [o.model.id for o in client.find_orders_for_checkout("chk-b")]
        by_upstream = {o.model.id for o in client.iter_orders(upstream_ids=["SHOP-A", "SHOP-B"])}
        by_ids = {o.model.id for o in client.iter_orders(ids=[a.id])}
        one = client.get_order(b.id)

    assert by_checkout == [b.id]
    assert by_upstream == {a.id, b.id}
    assert by_ids == {a.id}
    assert (one.model.id, one.model.checkout_id, one.body["upstreamId"]) == (
        b.id,
        "chk-b",
        "SHOP-B",
    )


def test_get_events_pages_over_more_than_100_events_and_filters_by_type_and_time() -> None:
    with sandbox_and_client() as (_sandbox, client):
        for n in range(60):
            client.create_order(f"review_then_accepted-{n}")  # two events each
        events = list(client.iter_events())
        ids = [e.model.id for e in events]
        accepted = list(client.iter_events(types=["order.accepted"]))
        middle = sorted(e.model.created_time for e in events)[59]
        later = list(client.iter_events(created_after=middle))

    assert len(ids) == len(set(ids)) == 120
    assert {e.model.type for e in accepted} == {"order.accepted"} and len(accepted) == 60
    assert len(later) == 60
    assert all(e.model.created_time > middle for e in later)


def test_an_unknown_order_and_a_wrong_key_are_rejected_with_drs_code_never_the_key() -> None:
    with sandbox_and_client() as (sandbox, client):
        with pytest.raises(DrRequestRejected) as unknown:
            client.get_order("999")
        from orderfsm.adapters.digitalriver.api_config import DrApiConfig

        wrong = DrClient(DrApiConfig(secret_key="sk_test_not_this_one", base_url=sandbox.url))
        with wrong, pytest.raises(DrRequestRejected) as refused:
            wrong.create_order("chk-1")

    assert (unknown.value.status, unknown.value.codes) == (404, ("not_found",))
    assert str(unknown.value).startswith("GET /orders/{id}: Digital River answered 404")
    assert (refused.value.status, refused.value.codes) == (401, ("unauthorized",))
    assert "sk_test_not_this_one" not in str(refused.value)
    assert sandbox.state.orders == {}


def test_a_get_is_retried_through_5xx_and_a_post_is_sent_once() -> None:
    with sandbox_and_client() as (sandbox, client):
        set_faults(sandbox, "5xx=2")
        page = client.list_orders()
        set_faults(sandbox, "5xx=1")
        with pytest.raises(DrUnreachable, match=r"^POST /orders: Digital River answered 500"):
            client.create_order("chk-1")
        seen = [(r["method"], r["status"]) for r in requests_seen(sandbox)]

    assert page.items == ()
    assert seen == [("GET", 500), ("GET", 500), ("GET", 200), ("POST", 500)]


def test_a_get_gives_up_after_max_attempts_during_an_outage() -> None:
    with sandbox_and_client(max_attempts=3) as (sandbox, client):
        set_faults(sandbox, "outage=30")
        with pytest.raises(DrUnreachable, match=r"^GET /orders: Digital River answered 503"):
            client.list_orders()
        assert len(requests_seen(sandbox)) == 3


def test_a_lost_answer_is_a_transport_failure_although_dr_made_the_order() -> None:
    with sandbox_and_client() as (sandbox, client):
        set_faults(sandbox, "lose=1")
        with pytest.raises(DrUnreachable, match="connection broke"):
            client.create_order("chk-1")
        assert [o.model.checkout_id for o in client.find_orders_for_checkout("chk-1")] == ["chk-1"]


def test_a_429_holds_every_thread_of_the_client_for_retry_after_by_the_servers_clock() -> None:
    with sandbox_and_client() as (sandbox, client):
        set_faults(sandbox, "429=1@1")
        with pytest.raises(DrRateLimited) as limited:
            client.create_order("chk-0")
        # Other threads sharing the client must wait too, not only the refused call.
        threads = [
            threading.Thread(target=client.create_order, args=(f"chk-{n}",)) for n in range(1, 4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        seen = requests_seen(sandbox)

    assert limited.value.retry_after == 1
    refused_at = seen[0]["at"]
    assert seen[0]["status"] == 429
    assert [r["status"] for r in seen[1:]] == [201, 201, 201]
    assert all(r["at"] - refused_at >= 1.0 for r in seen[1:])


def test_a_get_waits_out_a_429_burst_and_then_succeeds() -> None:
    with sandbox_and_client(max_attempts=4) as (sandbox, client):
        set_faults(sandbox, "429=2@1")
        client.list_orders()
        seen = requests_seen(sandbox)

    assert [r["status"] for r in seen] == [429, 429, 200]
    assert seen[1]["at"] - seen[0]["at"] >= 1.0 and seen[2]["at"] - seen[1]["at"] >= 1.0


def _accepted_order(client: DrClient, checkout_id: str) -> tuple[str, list[str]]:
    order = client.create_order(checkout_id).order
    assert order is not None and order.state == "accepted"
    return order.id, [item.id for item in order.items]


def test_fulfilments_partial_full_duplicate_and_too_large() -> None:
    with sandbox_and_client() as (_sandbox, client):
        order_id, (mug, ebook) = _accepted_order(client, "chk-1")  # mug x2, ebook x1

        partial = client.create_fulfillment(
            FulfillmentRequest(order_id, (FulfillmentLine(mug, 1),), tracking_number="Z1")
        )
        with pytest.raises(DrRequestRejected) as too_large:
            client.create_fulfillment(FulfillmentRequest(order_id, (FulfillmentLine(mug, 2),)))
        client.create_fulfillment(FulfillmentRequest(order_id, (FulfillmentLine(mug, 1),)))
        with pytest.raises(DrRequestRejected) as duplicate:
            client.create_fulfillment(FulfillmentRequest(order_id, (FulfillmentLine(mug, 1),)))
        state_before_last = client.get_order(order_id).model.state
        client.create_fulfillment(FulfillmentRequest(order_id, (FulfillmentLine(ebook, 1),)))
        with pytest.raises(DrRequestRejected) as after_all:
            client.create_fulfillment(FulfillmentRequest(order_id, (FulfillmentLine(ebook, 1),)))
        final = client.get_order(order_id).model
        types = [e.model.type for e in client.iter_events()]

    assert partial.model.id.startswith("ful_") and partial.model.tracking_number == "Z1"
    assert (too_large.value.status, too_large.value.codes) == (409, ("quantity_too_large",))
    assert duplicate.value.codes == ("item_fulfilled",)
    assert set(duplicate.value.codes) <= FULFILLMENT_DONE_CODES
    assert state_before_last == "accepted"
    assert after_all.value.codes == ("order_complete",)
    assert final.state == "complete"
    assert {item.state for item in final.items} == {"fulfilled"}
    assert types.count("fulfillment.created") == 3
    assert {"order.fulfilled", "order.complete"} <= set(types)


def test_cancelling_every_item_before_shipment_cancels_the_order() -> None:
    with sandbox_and_client() as (_sandbox, client):
        order_id, (mug, ebook) = _accepted_order(client, "chk-1")
        lines = (FulfillmentLine(mug, cancel_quantity=2), FulfillmentLine(ebook, cancel_quantity=1))
        client.create_fulfillment(FulfillmentRequest(order_id, lines))
        with pytest.raises(DrRequestRejected) as again:
            client.create_fulfillment(
                FulfillmentRequest(order_id, (FulfillmentLine(mug, cancel_quantity=1),))
            )
        final = client.get_order(order_id).model
        types = [e.model.type for e in client.iter_events()]

    assert types[:2] == ["order.cancelled", "order.charge.cancel.complete"]  # newest first
    assert final.state == "cancelled"
    assert {c.state for c in final.payment.charges} == {"cancelled"}
    assert again.value.codes == ("order_cancelled",)


def test_the_client_refuses_an_empty_fulfilment_before_any_call() -> None:
    from orderfsm.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="nothing to fulfil"):
        FulfillmentLine("item-1")
    with pytest.raises(ConfigurationError, match="has no items"):
        FulfillmentRequest("240000000001", ())


def test_a_manual_sandbox_moves_an_order_only_when_told() -> None:
    config = SandboxConfig(auto_advance=False)
    with sandbox_and_client(config) as (sandbox, client):
        order = client.create_order("pending_then_accepted-1").order
        assert order is not None
        before = client.get_order(order.id).model.state
        sandbox.state.advance(order.id)
        after = client.get_order(order.id).model

    assert (order.state, before, after.state) == ("pending_payment", "pending_payment", "accepted")
    assert isinstance(after.state_transitions["accepted"], datetime)


def test_nothing_listening_is_dr_unreachable_naming_the_call_and_url_never_the_key() -> None:
    from orderfsm.adapters.digitalriver.api_config import DrApiConfig
    from tests.support.net import free_port

    url = f"http://127.0.0.1:{free_port()}"
    config = DrApiConfig(secret_key="sk_test_hidden", base_url=url, max_attempts=2, **FAST)
    with DrClient(config) as client, pytest.raises(DrUnreachable) as down:
        client.list_events()

    assert (
        str(down.value)
        == f"GET /events: could not connect to Digital River at {url} (ConnectError)"
    )
    assert "sk_test_hidden" not in str(down.value)


def test_a_fulfilment_whose_answer_was_lost_answers_409_item_fulfilled_when_resent() -> None:
    with sandbox_and_client() as (sandbox, client):
        order_id, (mug, _ebook) = _accepted_order(client, "chk-1")
        request = FulfillmentRequest(order_id, (FulfillmentLine(mug, 2),))
        set_faults(sandbox, "lose=1")
        with pytest.raises(DrUnreachable, match=r"^POST /fulfillments: the connection broke"):
            client.create_fulfillment(request)
        with pytest.raises(DrRequestRejected) as resent:
            client.create_fulfillment(request)

    assert resent.value.codes == ("item_fulfilled",)
    assert len(sandbox.state.fulfillments) == 1
