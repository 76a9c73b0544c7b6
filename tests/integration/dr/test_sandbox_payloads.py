"""Everything the sandbox emits reads with the adapter, as DR's own payloads do."""

from __future__ import annotations

import json

import httpx
import pytest

from orderfsm.adapters.digitalriver import (
    map_create_order_response,
    parse_error_body,
    parse_order,
    signal_from_body,
)
from orderfsm.adapters.digitalriver.models_api import FulfillmentLine, FulfillmentRequest
from orderfsm.adapters.digitalriver.parse import parse_fulfillment
from orderfsm.fsm.signals import NotRelevant
from orderfsm.sandbox import Scenario
from orderfsm.sandbox.scenarios import PLANS
from tests.dr_helpers import control, sandbox_and_client


def test_every_scenario_has_a_plan_that_refuses_or_walks_states() -> None:
    assert set(PLANS) == set(Scenario)
    assert all(bool(plan.states) != (plan.refusal is not None) for plan in PLANS.values())


def test_every_answer_event_and_fulfilment_of_every_scenario_parses_and_maps() -> None:
    with sandbox_and_client() as (sandbox, client):
        answers = []
        for scenario in Scenario:
            checkout = f"{scenario.value}-1"
            for _ in range(2):  # the second POST answers 404 (consumed) or the same refusal
                response = httpx.post(
                    f"{sandbox.url}/orders",
                    json={"checkoutId": checkout},
                    headers={"Authorization": f"Bearer {sandbox.key}"},
                )
                answers.append((checkout, response.status_code, response.json()))
        accepted = client.create_order("accepted-2").order
        assert accepted is not None
        mug, ebook = (item.id for item in accepted.items)
        client.create_fulfillment(FulfillmentRequest(accepted.id, (FulfillmentLine(mug, 1),)))
        client.create_fulfillment(
            FulfillmentRequest(
                accepted.id, (FulfillmentLine(mug, cancel_quantity=1), FulfillmentLine(ebook, 1))
            )
        )
        events = [e.body for e in client.iter_events()]
        orders = [o.body for o in client.iter_orders()]
        fulfilments = list(sandbox.state.fulfillments)

    statuses = {(c, s) for c, s, _ in answers}
    assert {s for _, s in statuses} == {201, 400, 404, 409}
    for checkout, status, body in answers:
        signal = map_create_order_response(status, body, upstream_id="UP", checkout_id=checkout)
        assert signal.checkout_id in (checkout, None)
        if status != 201:
            assert parse_error_body(body).errors
    for order in orders:
        assert parse_order(order).items
    for fulfilment in fulfilments:
        assert parse_fulfillment(fulfilment).order_details is not None
    mapped = [signal_from_body(json.dumps(event)) for event in events]
    assert not any(isinstance(m, NotRelevant) for m in mapped)
    assert {e["type"] for e in events} >= {
        "order.accepted",
        "order.pending_payment",
        "order.review_opened",
        "order.blocked",
        "fulfillment.created",
        "order.fulfilled",
        "order.complete",
        "order.charge.capture.complete",
    }


def test_the_control_api_refuses_an_unknown_scenario_in_one_line() -> None:
    with sandbox_and_client() as (sandbox, _client):
        answer = httpx.post(f"{sandbox.url}/_sandbox/checkouts", json={"scenario": "lucky"})
        made = control(sandbox, "POST", "checkouts", json={"scenario": "review_then_blocked"})

    assert answer.status_code == 400
    assert answer.json()["error"].startswith("scenario must be one of accepted, ")
    assert made["scenario"] == "review_then_blocked" and made["orderId"] is None


@pytest.mark.parametrize(
    ("spec", "problem"),
    [("lose=x", "'lose=x'"), ("bogus=1", "'bogus=1'"), ("429=-1", "'429=-1'")],
)
def test_a_bad_fault_spec_is_one_line_naming_the_part(spec: str, problem: str) -> None:
    from orderfsm.errors import ConfigurationError
    from orderfsm.sandbox import parse_faults

    with pytest.raises(ConfigurationError) as refused:
        parse_faults(spec)

    assert problem in str(refused.value) and "\n" not in str(refused.value)


def test_a_fault_spec_reads_every_fault() -> None:
    from orderfsm.sandbox import Faults, parse_faults

    assert parse_faults("lose=1, 429=2@3,5xx=4,outage=1.5,drop=5,dup=6,reorder") == Faults(
        lose_answers=1,
        rate_limited=2,
        retry_after_s=3,
        server_errors=4,
        outage_s=1.5,
        drop_webhooks=5,
        duplicate_webhooks=6,
        reorder_webhooks=True,
    )
