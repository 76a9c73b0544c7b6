"""Every declared edge fires: the right move, the declared effects, the dispute flag.

The parametrized test derives its expectations from the table, so it covers
every edge there is; the explicit tests below it state the effects the design
asks for in plain words, so a wrong table cannot agree with itself.
"""

from __future__ import annotations

import dataclasses

import pytest

from orderfsm.fsm import (
    LIFECYCLE,
    Applied,
    EffectIntent,
    EffectName,
    Facts,
    InMemoryOrder,
    LifecycleMachine,
    OrderState,
    Trigger,
)
from orderfsm.fsm.effects import EffectSpec
from orderfsm.fsm.guards import PASS, Guard, Verdict
from orderfsm.fsm.items import FulfilmentReport, ItemLedger, ItemReport
from orderfsm.fsm.lifecycle import Edge, TransitionSpec
from orderfsm.fsm.signals import ChargeFact, ItemFact

S = OrderState
T = Trigger
E = EffectName

MACHINE = LifecycleMachine()

PHYSICAL = ItemFact("it_1", physical=True)
DIGITAL = ItemFact("it_2", physical=False)
UNKNOWN = ItemFact("it_3", physical=None)

AUTHORIZED = Facts(
    charges=(ChargeFact("ch_1", "capturable"), ChargeFact("ch_2", "complete")),
    fraud_state="passed",
    items=(PHYSICAL, DIGITAL),
    next_action="show_payment_instructions",
    report=FulfilmentReport((ItemReport("it_1", 1),)),
    ledger=(ItemLedger("it_1", 2),),
)
"""Facts every guard but 'all charges cancelled' passes; every effect condition holds."""

CHARGES_CANCELLED = dataclasses.replace(
    AUTHORIZED, charges=(ChargeFact("ch_1", "cancelled"), ChargeFact("ch_2", "failed"))
)
"""Facts every guard but 'all charges authorized' passes; every effect condition holds."""


def _edge_id(edge: Edge) -> str:
    return f"{edge.source}--{edge.trigger}-->{edge.target}"


def _passing_facts(edge: Edge) -> Facts:
    for facts in (AUTHORIZED, CHARGES_CANCELLED):
        if all(guard(facts).passed for guard in edge.guards):
            return facts
    raise AssertionError(f"no sample facts pass the guards of {_edge_id(edge)}")


NO_FACTS = Facts()


def _fire(state: OrderState, trigger: Trigger, facts: Facts = NO_FACTS) -> Applied:
    outcome = MACHINE.fire(InMemoryOrder(state), trigger, facts)
    assert isinstance(outcome, Applied), outcome
    return outcome


def _names(applied: Applied) -> list[EffectName]:
    return [intent.name for intent in applied.effects]


EDGES = list(LIFECYCLE.edges())


# ---------------------------------------------------------------- every edge, from the table


@pytest.mark.parametrize("disputed_before", [False, True], ids=["undisputed", "disputed"])
@pytest.mark.parametrize("edge", EDGES, ids=[_edge_id(e) for e in EDGES])
def test_every_declared_edge_fires_with_its_effects_and_dispute_flag(
    edge: Edge, disputed_before: bool
) -> None:
    facts = _passing_facts(edge)
    order = InMemoryOrder(edge.source, disputed=disputed_before)
    on_enter = () if edge.dest is None else LIFECYCLE.spec(edge.dest).on_enter
    expected_effects = tuple(
        EffectIntent(spec.name, edge.trigger, edge.dest)
        for spec in edge.effects + on_enter
        if spec.applies(facts)
    )

    outcome = MACHINE.fire(order, edge.trigger, facts)

    assert outcome == Applied(
        trigger=edge.trigger,
        source=edge.source,
        dest=edge.target,
        effects=expected_effects,
        internal=edge.dest is None,
    )
    assert order.state is edge.target
    assert order.disputed is (disputed_before if edge.disputed is None else edge.disputed)


def test_the_sample_facts_meet_every_effect_condition_so_the_edge_test_sees_them_all() -> None:
    for facts in (AUTHORIZED, CHARGES_CANCELLED):
        for spec in LIFECYCLE.states:
            assert all(effect.applies(facts) for effect in spec.on_enter), spec.state
        for edge in EDGES:
            assert all(effect.applies(facts) for effect in edge.effects), _edge_id(edge)


def test_every_trigger_has_at_least_one_declared_edge() -> None:
    assert {edge.trigger for edge in EDGES} == set(Trigger)


def test_no_two_edges_share_a_source_and_trigger_so_each_edge_is_tested_on_its_own() -> None:
    keys = [(edge.source, edge.trigger) for edge in EDGES]

    assert len(keys) == len(set(keys))


# ---------------------------------------------------------------- entering accepted


@pytest.mark.parametrize("source", [S.SUBMITTED, S.PENDING_PAYMENT, S.IN_REVIEW])
def test_entering_accepted_with_a_physical_and_a_digital_item_confirms_ships_and_delivers(
    source: OrderState,
) -> None:
    applied = _fire(source, T.ACCEPT, Facts(items=(PHYSICAL, DIGITAL)))

    assert applied.dest is S.ACCEPTED
    assert sorted(_names(applied)) == sorted(
        [E.SEND_ORDER_CONFIRMATION, E.REQUEST_SHIPMENT, E.DELIVER_DIGITAL]
    )


def test_entering_accepted_with_only_digital_items_requests_no_shipment() -> None:
    applied = _fire(S.SUBMITTED, T.ACCEPT, Facts(items=(DIGITAL, ItemFact("it_9", False))))

    assert sorted(_names(applied)) == sorted([E.SEND_ORDER_CONFIRMATION, E.DELIVER_DIGITAL])


def test_entering_accepted_with_only_physical_items_delivers_nothing_digital() -> None:
    applied = _fire(S.SUBMITTED, T.ACCEPT, Facts(items=(PHYSICAL,)))

    assert sorted(_names(applied)) == sorted([E.SEND_ORDER_CONFIRMATION, E.REQUEST_SHIPMENT])


def test_items_of_unknown_kind_leave_both_shipment_and_digital_delivery_to_the_classifier() -> None:
    applied = _fire(S.SUBMITTED, T.ACCEPT, Facts(items=(UNKNOWN,)))

    assert sorted(_names(applied)) == sorted(
        [E.SEND_ORDER_CONFIRMATION, E.REQUEST_SHIPMENT, E.DELIVER_DIGITAL]
    )


def test_an_intent_names_the_trigger_that_fired_it_and_the_state_it_entered() -> None:
    applied = _fire(S.IN_REVIEW, T.ACCEPT, Facts(items=(PHYSICAL,)))

    assert applied.effects[0] == EffectIntent(E.SEND_ORDER_CONFIRMATION, T.ACCEPT, S.ACCEPTED)
    assert all(intent.trigger is T.ACCEPT for intent in applied.effects)
    assert all(intent.entered is S.ACCEPTED for intent in applied.effects)


# ---------------------------------------------------------------- cancelling, blocking, failing


def test_cancelling_an_accepted_order_cancels_fulfilment_and_tells_the_customer() -> None:
    applied = _fire(S.ACCEPTED, T.CANCEL, Facts(charges=(ChargeFact("ch_1", "cancelled"),)))

    assert applied.dest is S.CANCELLED
    assert sorted(_names(applied)) == sorted([E.CANCEL_FULFILLMENT, E.NOTIFY_ORDER_CANCELLED])


@pytest.mark.parametrize("source", [S.SUBMITTED, S.PENDING_PAYMENT, S.IN_REVIEW])
def test_cancelling_before_acceptance_only_tells_the_customer(source: OrderState) -> None:
    applied = _fire(source, T.CANCEL, Facts(charges=(ChargeFact("ch_1", "cancelled"),)))

    assert applied.dest is S.CANCELLED
    assert _names(applied) == [E.NOTIFY_ORDER_CANCELLED]


def test_cancelling_an_order_without_charges_is_allowed() -> None:
    applied = _fire(S.PENDING_PAYMENT, T.CANCEL, Facts())

    assert applied.dest is S.CANCELLED


@pytest.mark.parametrize("source", [S.SUBMITTED, S.PENDING_PAYMENT, S.IN_REVIEW])
def test_blocking_tells_the_customer_the_order_is_blocked(source: OrderState) -> None:
    applied = _fire(source, T.BLOCK, Facts(fraud_state="blocked"))

    assert applied.dest is S.BLOCKED
    assert _names(applied) == [E.NOTIFY_ORDER_BLOCKED]


def test_a_409_payment_failure_rejects_the_order_and_tells_the_customer() -> None:
    applied = _fire(S.SUBMITTED, T.REJECT_PAYMENT)

    assert applied.dest is S.REJECTED
    assert applied.effects == (EffectIntent(E.NOTIFY_PAYMENT_FAILED, T.REJECT_PAYMENT, S.REJECTED),)


@pytest.mark.parametrize("source", [S.SUBMITTED, S.PENDING_PAYMENT, S.IN_REVIEW])
def test_a_failed_charge_tells_the_customer_without_moving_the_order(source: OrderState) -> None:
    applied = _fire(source, T.FAIL_CHARGE, Facts(charges=(ChargeFact("ch_1", "failed"),)))

    assert applied.internal is True
    assert applied.dest is source
    assert applied.effects == (EffectIntent(E.NOTIFY_PAYMENT_FAILED, T.FAIL_CHARGE, None),)


# ---------------------------------------------------------------- pending payment


def test_pending_payment_with_payment_instructions_sends_them() -> None:
    applied = _fire(S.SUBMITTED, T.AWAIT_PAYMENT, Facts(next_action="show_payment_instructions"))

    assert applied.dest is S.PENDING_PAYMENT
    assert applied.effects == (
        EffectIntent(E.SEND_PAYMENT_INSTRUCTIONS, T.AWAIT_PAYMENT, S.PENDING_PAYMENT),
    )


@pytest.mark.parametrize("next_action", ["redirect", None])
def test_pending_payment_without_payment_instructions_sends_nothing(
    next_action: str | None,
) -> None:
    applied = _fire(S.SUBMITTED, T.AWAIT_PAYMENT, Facts(next_action=next_action))

    assert applied.dest is S.PENDING_PAYMENT
    assert applied.effects == ()


# ---------------------------------------------------------------- moves without effects


@pytest.mark.parametrize(
    ("source", "trigger", "dest"),
    [
        (S.SUBMITTED, T.OPEN_REVIEW, S.IN_REVIEW),
        (S.PENDING_PAYMENT, T.OPEN_REVIEW, S.IN_REVIEW),
        (S.ACCEPTED, T.FULFIL, S.FULFILLED),
        (S.FULFILLED, T.COMPLETE, S.COMPLETE),
        (S.FULFILLED, T.RETURN, S.RETURNED),
        (S.COMPLETE, T.RETURN, S.RETURNED),
    ],
)
def test_review_fulfilment_completion_and_return_move_the_order_without_effects(
    source: OrderState, trigger: Trigger, dest: OrderState
) -> None:
    applied = _fire(source, trigger, Facts(items=(PHYSICAL, DIGITAL)))

    assert (applied.source, applied.dest, applied.effects) == (source, dest, ())


# ---------------------------------------------------------------- the dispute flag


@pytest.mark.parametrize("state", [S.ACCEPTED, S.FULFILLED, S.COMPLETE])
def test_a_dispute_sets_the_flag_and_keeps_the_state(state: OrderState) -> None:
    order = InMemoryOrder(state)

    outcome = MACHINE.fire(order, T.OPEN_DISPUTE)

    assert isinstance(outcome, Applied)
    assert outcome.internal is True
    assert (order.state, order.disputed) == (state, True)


@pytest.mark.parametrize("state", [S.ACCEPTED, S.FULFILLED, S.COMPLETE])
def test_a_resolved_dispute_clears_the_flag_and_keeps_the_state(state: OrderState) -> None:
    order = InMemoryOrder(state, disputed=True)

    outcome = MACHINE.fire(order, T.RESOLVE_DISPUTE)

    assert isinstance(outcome, Applied)
    assert (order.state, order.disputed) == (state, False)


def test_a_dispute_lies_over_the_state_and_survives_fulfilment() -> None:
    order = InMemoryOrder(S.ACCEPTED)

    MACHINE.fire(order, T.OPEN_DISPUTE)
    MACHINE.fire(order, T.FULFIL)

    assert (order.state, order.disputed) == (S.FULFILLED, True)


# ---------------------------------------------------------------- exclusive edges on one trigger


def _some_charge_open(facts: Facts) -> Verdict:
    if any(charge.state not in {"cancelled", "failed"} for charge in facts.charges):
        return PASS
    return Verdict(False, "every charge has ended")


def _every_charge_ended(facts: Facts) -> Verdict:
    for charge in facts.charges:
        if charge.state not in {"cancelled", "failed"}:
            return Verdict(False, f"charge {charge.id} is {charge.state}")
    return PASS


EVERY_CHARGE_ENDED = Guard("every charge ended", _every_charge_ended, frozenset({"charge open"}))
SOME_CHARGE_OPEN = Guard("charge open", _some_charge_open)


def _two_exclusive_fulfil_edges() -> LifecycleMachine:
    """``accepted --fulfil--> fulfilled`` twice, told apart by exclusive guards."""
    transitions = (
        *(t for t in LIFECYCLE.transitions if t.trigger is not T.FULFIL),
        TransitionSpec(
            T.FULFIL,
            (S.ACCEPTED,),
            S.FULFILLED,
            guards=(EVERY_CHARGE_ENDED,),
            effects=(EffectSpec(E.CANCEL_FULFILLMENT),),
        ),
        TransitionSpec(
            T.FULFIL,
            (S.ACCEPTED,),
            S.FULFILLED,
            guards=(SOME_CHARGE_OPEN,),
            effects=(EffectSpec(E.REQUEST_SHIPMENT),),
            disputed=True,
        ),
    )
    return LifecycleMachine(dataclasses.replace(LIFECYCLE, transitions=transitions))


def test_of_two_exclusive_edges_the_first_declared_decides_effects_when_its_guards_pass() -> None:
    machine = _two_exclusive_fulfil_edges()
    order = InMemoryOrder(S.ACCEPTED)

    outcome = machine.fire(order, T.FULFIL, Facts(charges=(ChargeFact("ch_1", "cancelled"),)))

    assert isinstance(outcome, Applied)
    assert _names(outcome) == [E.CANCEL_FULFILLMENT]
    assert (order.state, order.disputed) == (S.FULFILLED, False)


def test_of_two_exclusive_edges_the_second_declared_decides_effects_when_its_guards_pass() -> None:
    machine = _two_exclusive_fulfil_edges()
    order = InMemoryOrder(S.ACCEPTED)

    outcome = machine.fire(order, T.FULFIL, Facts(charges=(ChargeFact("ch_1", "capturable"),)))

    assert isinstance(outcome, Applied)
    assert _names(outcome) == [E.REQUEST_SHIPMENT]
    assert (order.state, order.disputed) == (S.FULFILLED, True)
