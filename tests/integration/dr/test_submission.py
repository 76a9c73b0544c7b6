"""submit_to_dr against the sandbox: answers recorded, lost ones recovered, never two orders."""

from __future__ import annotations

import threading

import pytest

from orderfsm import Engine
from orderfsm.adapters.digitalriver.models_api import FulfillmentLine, FulfillmentRequest
from orderfsm.errors import DrUnreachable
from orderfsm.service.submission import SubmissionPolicy, SubmissionResult, submit_to_dr
from tests.dr_helpers import dr_orders_for, requests_seen, sandbox_and_client, set_faults

QUICK = SubmissionPolicy(backoff_initial_s=0.01, backoff_max_s=0.05)


@pytest.mark.parametrize(
    ("scenario", "status", "state"),
    [
        ("accepted", 201, "accepted"),
        ("pending_then_accepted", 201, "pending_payment"),
        ("review_then_accepted", 201, "in_review"),
        ("review_then_blocked", 201, "in_review"),
        ("payment_failed", 409, "rejected"),
        ("fraud_blocked", 409, "blocked"),
        ("incomplete", 400, "submitted"),
    ],
)
def test_each_answer_to_post_orders_is_recorded(
    engine: Engine, scenario: str, status: int, state: str
) -> None:
    checkout = f"{scenario}-1"
    with sandbox_and_client() as (sandbox, client):
        result = submit_to_dr(engine, client, "SHOP-1", checkout, policy=QUICK)
        dr_orders = dr_orders_for(sandbox, checkout)

    view = engine.show("SHOP-1")
    assert (result.status, result.state, result.posts, result.recovered) == (
        status,
        state,
        1,
        False,
    )
    assert view.state == state
    assert view.history[-1].event_type == f"POST /orders {status}"
    assert view.order_id == (dr_orders[0]["id"] if status == 201 else None)
    assert len(dr_orders) == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("scenario", "state"), [("accepted", "accepted"), ("payment_failed", "rejected")]
)
def test_submitting_again_an_order_past_submitted_sends_nothing(
    engine: Engine, scenario: str, state: str
) -> None:
    checkout = f"{scenario}-1"
    with sandbox_and_client() as (sandbox, client):
        first = submit_to_dr(engine, client, "SHOP-1", checkout, policy=QUICK)
        again = submit_to_dr(engine, client, "SHOP-1", checkout, policy=QUICK)
        posts = [r for r in requests_seen(sandbox) if r["method"] == "POST"]
        dr_orders = dr_orders_for(sandbox, checkout)

    assert first.state == state and first.posts == 1
    # A second POST could only answer 404 for a consumed checkout, or, for the
    # refused one, make a DR order that the rejected (terminal) order refuses.
    assert (again.status, again.posts, again.recovered) == (None, 0, False)
    assert (again.state, again.order_id) == (state, first.order_id)
    assert len(posts) == 1
    assert len(dr_orders) == (1 if state == "accepted" else 0)


def test_a_404_for_a_checkout_an_earlier_attempt_consumed_records_the_order_found(
    engine: Engine,
) -> None:
    with sandbox_and_client() as (sandbox, client):
        earlier = client.create_order("chk-1").order  # e.g. a process that died before recording
        result = submit_to_dr(engine, client, "SHOP-1", "chk-1", policy=QUICK)
        dr_orders = dr_orders_for(sandbox, "chk-1")

    assert earlier is not None
    assert (result.status, result.recovered, result.order_id, result.state) == (
        201,
        True,
        earlier.id,
        "accepted",
    )
    assert [o["id"] for o in dr_orders] == [earlier.id]


@pytest.mark.parametrize(
    ("scenario", "state"), [("review_then_blocked", "blocked"), ("accepted", "complete")]
)
def test_a_found_order_dr_has_moved_past_creation_is_recorded_in_dr_s_real_state(
    engine: Engine, scenario: str, state: str
) -> None:
    checkout = f"{scenario}-1"
    with sandbox_and_client() as (sandbox, client):
        earlier = client.create_order(checkout).order  # an attempt whose answer was lost
        assert earlier is not None
        if state == "complete":  # DR shipped it all before the platform heard back
            lines = tuple(FulfillmentLine(i.id, quantity=i.quantity) for i in earlier.items)
            client.create_fulfillment(FulfillmentRequest(earlier.id, lines))
        result = submit_to_dr(engine, client, "SHOP-1", checkout, policy=QUICK)
        [dr_order] = dr_orders_for(sandbox, checkout)
        # DR's own webhook for that state, arriving late, changes nothing.
        late = sandbox.state.events[-1]
        effects_before = len(engine.show("SHOP-1").effects)
        again = engine.apply_event(late)

    view = engine.show("SHOP-1")
    assert dr_order["state"] == state and late["type"] == f"order.{state}"
    assert (result.status, result.recovered, result.order_id, result.state) == (
        201,
        True,
        earlier.id,
        state,
    )
    assert view.order_id == earlier.id and view.state == state
    assert "POST /orders 404" not in [h.event_type for h in view.history]
    assert again.outcome is not None and again.outcome.value in ("duplicate", "stale", "terminal")
    assert len(view.effects) == effects_before


def test_a_lost_answer_is_recovered_with_exactly_one_dr_order(db_url: str) -> None:
    with (
        Engine.open(db_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        set_faults(sandbox, "lose=1")
        result = submit_to_dr(engine, client, "SHOP-1", "chk-1", policy=QUICK)
        dr_orders = dr_orders_for(sandbox, "chk-1")
        seen = [(r["method"], r["path"], r["status"]) for r in requests_seen(sandbox)]
        view = engine.show("SHOP-1")

    assert len(dr_orders) == 1
    assert (result.status, result.recovered, result.posts) == (201, True, 1)
    assert (view.order_id, view.state) == (dr_orders[0]["id"], "accepted")
    assert seen == [("POST", "/orders", 201), ("GET", "/orders", 200)]


def test_a_5xx_that_made_nothing_is_looked_up_then_sent_again_once(engine: Engine) -> None:
    with sandbox_and_client() as (sandbox, client):
        set_faults(sandbox, "5xx=1")
        result = submit_to_dr(engine, client, "SHOP-1", "chk-1", policy=QUICK)
        dr_orders = dr_orders_for(sandbox, "chk-1")
        seen = [(r["method"], r["status"]) for r in requests_seen(sandbox)]

    assert len(dr_orders) == 1
    assert (result.status, result.recovered, result.posts, result.state) == (
        201,
        False,
        2,
        "accepted",
    )
    assert seen == [("POST", 500), ("GET", 200), ("POST", 201)]


def test_a_429_on_post_orders_waits_retry_after_by_the_servers_clock_then_succeeds(
    engine: Engine,
) -> None:
    with sandbox_and_client() as (sandbox, client):
        set_faults(sandbox, "429=1@1")
        result = submit_to_dr(engine, client, "SHOP-1", "chk-1", policy=QUICK)
        seen = requests_seen(sandbox)

    assert [r["status"] for r in seen] == [429, 201]
    assert seen[1]["at"] - seen[0]["at"] >= 1.0
    assert (result.state, result.posts) == ("accepted", 2)


def test_a_dr_outage_leaves_the_order_submitted_and_a_later_submit_completes_it(
    engine: Engine,
) -> None:
    with sandbox_and_client(max_attempts=2) as (sandbox, client):
        set_faults(sandbox, "outage=60")
        with pytest.raises(DrUnreachable) as outage:
            submit_to_dr(engine, client, "SHOP-1", "chk-1", policy=QUICK)
        during = engine.show("SHOP-1")
        made_during = dr_orders_for(sandbox, "chk-1")
        set_faults(sandbox, "")
        later = submit_to_dr(engine, client, "SHOP-1", "chk-1", policy=QUICK)

    message = str(outage.value)
    assert message.startswith("POST /orders: no answer for checkout 'chk-1' after 3 attempts")
    assert "stays submitted" in message and "\n" not in message
    assert (during.state, during.order_id, made_during) == ("submitted", None, [])
    assert (later.state, later.status) == ("accepted", 201)


def test_concurrent_submits_of_one_checkout_with_lost_answers_make_one_dr_order(
    engine: Engine,
) -> None:
    results: list[object] = []
    with sandbox_and_client() as (sandbox, client):
        set_faults(sandbox, "lose=3")

        def submit() -> None:
            try:
                results.append(submit_to_dr(engine, client, "SHOP-1", "chk-1", policy=QUICK))
            except Exception as exc:  # collected: the assertion below shows any
                results.append(exc)

        threads = [threading.Thread(target=submit) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        dr_orders = dr_orders_for(sandbox, "chk-1")

    assert len(dr_orders) == 1
    assert all(isinstance(r, SubmissionResult) for r in results), results
    assert {(r.order_id, r.state) for r in results if isinstance(r, SubmissionResult)} == {
        (dr_orders[0]["id"], "accepted")
    }
    assert engine.show("SHOP-1").order_id == dr_orders[0]["id"]
