"""The strategies draw only what DR could send, and shrink to small, readable examples.

A drawn history is checked twice: against DR's own rules (payload shapes,
clocks, charges, fraud state), and against the lifecycle table: fed in DR's
order to the pure lifecycle machine through the adapter, every signal applies,
is stale, or lands on a terminal state, and the order ends where the model
says.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from orderfsm.adapters.digitalriver import (
    map_create_order_response,
    parse_event,
    parse_order,
    signal_from_body,
)
from orderfsm.errors import ConfigurationError, InconsistentPlan
from orderfsm.fsm import InMemoryOrder, LifecycleMachine, Refusal, Refused
from orderfsm.fsm.signals import AUTHORIZED_CHARGE_STATES, ENDED_CHARGE_STATES, NotRelevant
from orderfsm.testing.derived_events import DERIVATIONS, derive
from orderfsm.testing.expectations import expected_final_state, upstream_path
from orderfsm.testing.history import DeliveryKind, DrHistory, build_history
from orderfsm.testing.model import (
    Answer,
    DrStep,
    HistoryPlan,
    OrderShape,
)
from orderfsm.testing.strategies import (
    DR_EVENT_TYPES,
    EVENT_TYPES,
    STATE_EVENTS,
    any_dr_events,
    create_order_responses,
    deliveries,
    dr_events,
    dr_histories,
    dr_orders,
    history_plans,
)

MACHINE = LifecycleMachine()
DRAWS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHRINK = settings(database=None, derandomize=True)
DR_STATES = {"pending_payment", "in_review", "accepted", "blocked", "cancelled"} | {
    "fulfilled",
    "complete",
    "returned",
    "dispute",
}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _order_of(event: dict[str, Any]) -> dict[str, Any] | None:
    obj = event["data"]["object"]
    if event["type"] == "fulfillment.created":
        return obj["orderDetails"]  # type: ignore[no-any-return]
    return obj if "items" in obj else None


def check_order_follows_drs_rules(order: dict[str, Any], at: datetime | None) -> None:
    state = order["state"]
    assert state in DR_STATES
    charges = [c["state"] for c in order["payment"].get("charges", [])]
    if state == "accepted":
        assert all(c in AUTHORIZED_CHARGE_STATES | ENDED_CHARGE_STATES for c in charges)
        assert order.get("fraudState") in (None, "passed")
    if state == "cancelled":
        assert all(c in ENDED_CHARGE_STATES for c in charges), "cancelled only once all are"
    if state == "blocked":
        assert order["fraudState"] == "blocked"
    if state == "complete":
        assert "fraudState" not in order
    stamps = {k: _time(v) for k, v in order["stateTransitions"].items()}
    assert state in stamps or state == "accepted"  # a resolved dispute still says accepted
    if at is not None:
        assert all(stamp <= at for stamp in stamps.values()), "no state stamped after the event"
    if order["payment"].get("session"):
        assert state in ("pending_payment", "cancelled")


@DRAWS
@given(dr_histories())
def test_every_drawn_history_follows_drs_own_rules(history: DrHistory) -> None:
    times = [_time(e["createdTime"]) for e in history.events]
    assert times == sorted(times) and len(set(times)) == len(times), "createdTime increases"
    assert len({e["id"] for e in history.events}) == len(history.events), "event ids are unique"
    if not history.plan.answer.creates_order:
        assert history.events == () and history.dr_order_id is None
    for event, at in zip(history.events, times, strict=True):
        mapped = signal_from_body(event)  # every payload parses
        if isinstance(mapped, NotRelevant):
            assert event["type"] == "order.invoice.created"
            continue
        assert mapped.dr_order_id == history.dr_order_id
        assert mapped.checkout_id in (None, history.checkout_id)
        order = _order_of(event)
        if order is not None:
            assert order["checkoutId"] == history.checkout_id
            check_order_follows_drs_rules(order, at)
    for answer in history.answers:
        signal = map_create_order_response(
            answer["status"], answer["body"], upstream_id=history.upstream_id, checkout_id=None
        )
        if answer["status"] == 201:
            assert signal.dr_order_id == history.dr_order_id
            check_order_follows_drs_rules(answer["body"], None)


@DRAWS
@given(dr_histories())
def test_every_drawn_history_walks_the_lifecycle_table_to_the_models_final_state(
    history: DrHistory,
) -> None:
    order = InMemoryOrder()
    path = upstream_path(history.plan)
    for delivery in history.in_dr_order()[1:]:
        line = delivery.line
        if delivery.kind is DeliveryKind.ANSWER:
            signal = map_create_order_response(
                line["status"], line["body"], upstream_id=history.upstream_id, checkout_id=None
            )
        else:
            mapped = signal_from_body(line)
            if isinstance(mapped, NotRelevant):
                continue
            signal = mapped
        outcome = MACHINE.advance(order, signal.trigger, signal.facts)
        if isinstance(outcome, Refused):
            assert outcome.refusal in (Refusal.STALE, Refusal.TERMINAL) or (
                MACHINE.destination(signal.trigger) is None
            ), f"{delivery!r} refused: {outcome.reason}"
        assert order.state in path
    assert order.state == expected_final_state(history.plan)


@DRAWS
@given(st.data())
def test_deliveries_hold_every_line_submit_first_answers_in_turn(data: st.DataObject) -> None:
    history = data.draw(dr_histories())
    drawn = data.draw(deliveries(history))
    ordered = history.in_dr_order()
    assert {id(d) for d in drawn} == {id(d) for d in ordered}, "each line at least once"
    repeated = [d for d in drawn if drawn.count(d) > 1]
    assert all(d.kind is DeliveryKind.EVENT for d in repeated), "only DR retries webhooks"
    own = [d for d in drawn if d.kind is not DeliveryKind.EVENT]
    assert own == [d for d in ordered if d.kind is not DeliveryKind.EVENT]


@DRAWS
@given(st.sampled_from(EVENT_TYPES).flatmap(lambda t: st.tuples(st.just(t), dr_events(t))))
def test_events_of_every_lifecycle_type_parse(drawn: tuple[str, dict[str, Any]]) -> None:
    event_type, event = drawn
    assert event["type"] == event_type
    signal_from_body(event)


@DRAWS
@given(st.sampled_from(DR_EVENT_TYPES).flatmap(lambda t: st.tuples(st.just(t), any_dr_events([t]))))
def test_events_of_every_documented_type_come_as_asked_and_read_without_error(
    drawn: tuple[str, dict[str, Any]],
) -> None:
    event_type, event = drawn
    assert event["type"] == event_type
    assert parse_event(json.dumps(event)).type == event_type
    signal_from_body(event)  # acted on or not relevant: never a PayloadError


CARRY_AN_ORDER = [
    "checkout_session.order.created",
    "order.charge.reauth.failed",
    "order.charge.refund.failed",
]
FEW = settings(max_examples=20, deadline=None)


@pytest.mark.parametrize("event_type", sorted(set(DERIVATIONS) - set(CARRY_AN_ORDER)))
def test_a_derived_event_uses_only_the_fields_drs_documented_example_uses(
    dr_fixtures: Path, event_type: str
) -> None:
    documented: dict[str, set[str]] = defaultdict(set)
    for path in (dr_fixtures / "events").glob(f"{event_type}__*.json"):
        example = json.loads(path.read_text())
        documented["data"] |= set(example["data"])
        documented["object"] |= set(example["data"]["object"])
    assert documented, f"no documented example of {event_type} to compare with"

    @FEW
    @given(any_dr_events([event_type]))
    def check(event: dict[str, Any]) -> None:
        assert set(event["data"]) <= documented["data"]
        assert set(event["data"]["object"]) <= documented["object"]

    check()


@pytest.mark.parametrize("event_type", CARRY_AN_ORDER)
def test_a_derived_event_that_carries_an_order_carries_one_that_follows_drs_rules(
    event_type: str,
) -> None:
    @FEW
    @given(any_dr_events([event_type]))
    def check(event: dict[str, Any]) -> None:
        check_order_follows_drs_rules(event["data"]["object"], _time(event["createdTime"]))

    check()


@DRAWS
@given(any_dr_events(["checkout_session.order.created"]))
def test_a_low_code_checkout_order_names_its_session_and_states_physical_on_its_skus(
    event: dict[str, Any],
) -> None:
    order = event["data"]["object"]
    assert order["checkoutSessionId"] == f"cs-{order['id']}"
    assert all("sku" in item and "productDetails" not in item for item in order["items"])
    assert order["state"] in ("accepted", "in_review", "pending_payment")
    check_order_follows_drs_rules(order, _time(event["createdTime"]))
    assert parse_order(order).checkout_id is not None


def test_a_derived_event_gets_its_own_id_and_leaves_its_base_as_it_was() -> None:
    history = build_history(HistoryPlan(steps=(DrStep.FULFIL, DrStep.REFUND)))
    base = next(e for e in history.events if e["type"] == "order.refunded")
    before = json.dumps(base)

    refund = derive("refund.pending", base)

    assert json.dumps(base) == before
    assert refund["id"] != base["id"] and refund == derive("refund.pending", base)
    assert (refund["type"], refund["createdTime"]) == ("refund.pending", base["createdTime"])
    assert refund["data"]["object"]["orderId"] == history.dr_order_id
    with pytest.raises(ConfigurationError, match="derived from"):
        derive("refund.pending", history.events[0])


def test_events_of_an_unknown_type_are_refused_when_the_strategy_is_made() -> None:
    with pytest.raises(ConfigurationError, match=r"order\.teleported"):
        any_dr_events(["order.teleported"])
    with pytest.raises(ConfigurationError, match="cannot draw"):
        any_dr_events([])


@DRAWS
@given(st.sampled_from(sorted(STATE_EVENTS)).flatmap(lambda s: st.tuples(st.just(s), dr_orders(s))))
def test_orders_come_in_the_state_asked_for(drawn: tuple[str, dict[str, Any]]) -> None:
    state, order = drawn
    assert order["state"] == state
    check_order_follows_drs_rules(order, None)


@DRAWS
@given(create_order_responses())
def test_create_order_responses_are_all_readable(answer: Any) -> None:
    signal = map_create_order_response(
        answer.status, answer.body, upstream_id="UP", checkout_id=None
    )
    assert (signal.dr_order_id is not None) == (answer.status == 201)


def test_a_history_shrinks_to_a_short_readable_plan() -> None:
    minimal = find(history_plans(), lambda plan: DrStep.REFUND in plan.steps, settings=SHRINK)

    # The shortest is HistoryPlan(steps=(DrStep.FULFIL, DrStep.REFUND)); the
    # shrinker may stop one step short of it, never further.
    assert minimal.steps[-1] is DrStep.REFUND and len(minimal.steps) <= 3
    assert minimal.shape == OrderShape() and minimal.answer is Answer.CREATED
    assert len(repr(minimal)) < 100 and eval(repr(minimal)) == minimal


def test_deliveries_shrink_toward_drs_own_order() -> None:
    history = build_history(HistoryPlan(steps=(DrStep.FULFIL, DrStep.COMPLETE)))

    minimal = find(
        deliveries(history), lambda drawn: drawn[0].kind is DeliveryKind.EVENT, settings=SHRINK
    )

    assert [d.label for d in minimal] == [
        "UP-1: order.accepted #1",
        "UP-1: submit",
        "UP-1: 201 answer",
        "UP-1: order.fulfilled #2",
        "UP-1: order.complete #3",
    ]


def test_an_inconsistent_plan_is_refused_with_the_step_and_state() -> None:
    with pytest.raises(InconsistentPlan, match="DR does not complete an order in accepted"):
        build_history(HistoryPlan(steps=(DrStep.COMPLETE,)))
    with pytest.raises(InconsistentPlan, match="creates no DR order"):
        HistoryPlan(answer=Answer.PAYMENT_REFUSED, steps=(DrStep.ACCEPT,))


def test_orderfsm_testing_names_are_sorted_importable_and_documented() -> None:
    import inspect

    import orderfsm.testing as testing

    assert list(testing.__all__) == sorted(testing.__all__)
    undocumented = [n for n in testing.__all__ if not inspect.getdoc(getattr(testing, n))]
    assert undocumented == []
