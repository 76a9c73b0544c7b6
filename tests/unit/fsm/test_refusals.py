"""Every way a trigger is refused, and ``advance`` walking the edges it skips.

A refusal is an outcome with a reason, never an error, and it leaves the order
exactly as it was: same state, same dispute flag.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from orderfsm.fsm import (
    LIFECYCLE,
    Applied,
    EffectName,
    Facts,
    InMemoryOrder,
    LifecycleMachine,
    OrderState,
    Refusal,
    Refused,
    Trigger,
)
from orderfsm.fsm.guards import Guard, Verdict
from orderfsm.fsm.signals import ChargeFact, ItemFact

S = OrderState
T = Trigger
E = EffectName

MACHINE = LifecycleMachine()

TERMINAL = [S.RETURNED, S.REJECTED, S.BLOCKED, S.CANCELLED]
LIVE = [s for s in OrderState if s not in TERMINAL]
DECLARED = {(edge.source, edge.trigger) for edge in LIFECYCLE.edges()}
AUTHORIZED = Facts(
    charges=(ChargeFact("ch_1", "capturable"),),
    items=(ItemFact("it_1", physical=True), ItemFact("it_2", physical=False)),
)


def _refused(outcome: object) -> Refused:
    assert isinstance(outcome, Refused), outcome
    return outcome


def _walked(outcome: object) -> tuple[Applied, ...]:
    assert isinstance(outcome, tuple), outcome
    assert all(isinstance(step, Applied) for step in outcome)
    return outcome


class RecordingOrder:
    """An order that remembers every state it was put in (to see a walk undone)."""

    def __init__(self, state: OrderState, disputed: bool = False) -> None:
        self.visited: list[OrderState] = []
        self.state = state
        self.disputed = disputed

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "state":
            self.visited.append(value)
        super().__setattr__(name, value)


# ---------------------------------------------------------------- no such edge


def test_fulfilling_an_order_in_review_is_refused_as_no_such_edge() -> None:
    order = InMemoryOrder(S.IN_REVIEW, disputed=True)

    refused = _refused(MACHINE.fire(order, T.FULFIL, AUTHORIZED))

    assert refused == Refused(T.FULFIL, S.IN_REVIEW, Refusal.NO_SUCH_EDGE, refused.reason)
    assert "fulfil" in refused.reason
    assert "in_review" in refused.reason
    assert (order.state, order.disputed) == (S.IN_REVIEW, True)


UNDECLARED = [(s, t) for s in LIVE for t in Trigger if (s, t) not in DECLARED]


@pytest.mark.parametrize("disputed", [False, True], ids=["undisputed", "disputed"])
@pytest.mark.parametrize(("state", "trigger"), UNDECLARED, ids=[f"{s}--{t}" for s, t in UNDECLARED])
def test_a_trigger_without_an_edge_from_a_live_state_is_refused_and_changes_nothing(
    state: OrderState, trigger: Trigger, disputed: bool
) -> None:
    order = InMemoryOrder(state, disputed=disputed)

    refused = _refused(MACHINE.fire(order, trigger, AUTHORIZED))

    assert (refused.refusal, refused.trigger, refused.state) == (
        Refusal.NO_SUCH_EDGE,
        trigger,
        state,
    )
    assert (order.state, order.disputed) == (state, disputed)


# ---------------------------------------------------------------- guard failed


def test_accepting_with_a_pending_charge_is_refused_naming_the_charge() -> None:
    order = InMemoryOrder(S.IN_REVIEW)
    facts = Facts(charges=(ChargeFact("ch_1", "capturable"), ChargeFact("ch_2", "pending")))

    refused = _refused(MACHINE.fire(order, T.ACCEPT, facts))

    assert refused.refusal is Refusal.GUARD_FAILED
    assert "all charges authorized" in refused.reason
    assert "charge ch_2 is pending" in refused.reason
    assert "ch_1" not in refused.reason
    assert (order.state, order.disputed) == (S.IN_REVIEW, False)


@pytest.mark.parametrize("charge_state", ["pending", "failed", "cancelled", "pending_funds"])
def test_accepting_is_refused_while_any_charge_is_not_authorized(charge_state: str) -> None:
    order = InMemoryOrder(S.PENDING_PAYMENT)
    facts = Facts(charges=(ChargeFact("ch_1", "complete"), ChargeFact("ch_7", charge_state)))

    refused = _refused(MACHINE.fire(order, T.ACCEPT, facts))

    assert refused.refusal is Refusal.GUARD_FAILED
    assert f"charge ch_7 is {charge_state}" in refused.reason
    assert order.state is S.PENDING_PAYMENT


def test_accepting_an_order_fraud_review_blocked_is_refused_with_that_reason() -> None:
    order = InMemoryOrder(S.IN_REVIEW)
    facts = dataclasses.replace(AUTHORIZED, fraud_state="blocked")

    refused = _refused(MACHINE.fire(order, T.ACCEPT, facts))

    assert refused.refusal is Refusal.GUARD_FAILED
    assert "fraud not blocked" in refused.reason
    assert "fraud review blocked the order" in refused.reason
    assert order.state is S.IN_REVIEW


@pytest.mark.parametrize("state", [S.SUBMITTED, S.PENDING_PAYMENT, S.IN_REVIEW, S.ACCEPTED])
def test_cancelling_while_a_charge_is_still_capturable_is_refused_naming_it(
    state: OrderState,
) -> None:
    order = InMemoryOrder(state, disputed=state is S.ACCEPTED)
    facts = Facts(charges=(ChargeFact("ch_1", "cancelled"), ChargeFact("ch_3", "capturable")))

    refused = _refused(MACHINE.fire(order, T.CANCEL, facts))

    assert refused.refusal is Refusal.GUARD_FAILED
    assert "all charges cancelled" in refused.reason
    assert "charge ch_3 is capturable" in refused.reason
    assert (order.state, order.disputed) == (state, state is S.ACCEPTED)


def test_a_guard_refusal_through_advance_keeps_the_guards_own_reason() -> None:
    order = InMemoryOrder(S.SUBMITTED)
    facts = Facts(charges=(ChargeFact("ch_2", "pending"),))

    refused = _refused(MACHINE.advance(order, T.FULFIL, facts))

    assert (refused.trigger, refused.state, refused.refusal) == (
        T.FULFIL,
        S.SUBMITTED,
        Refusal.GUARD_FAILED,
    )
    assert "charge ch_2 is pending" in refused.reason
    assert order.state is S.SUBMITTED


# ---------------------------------------------------------------- terminal


TERMINAL_CASES = [(s, t) for s in TERMINAL for t in Trigger]
TERMINAL_IDS = [f"{s}--{t}" for s, t in TERMINAL_CASES]


@pytest.mark.parametrize(("state", "trigger"), TERMINAL_CASES, ids=TERMINAL_IDS)
def test_a_terminal_state_refuses_every_trigger_fired(state: OrderState, trigger: Trigger) -> None:
    order = InMemoryOrder(state, disputed=True)

    refused = _refused(MACHINE.fire(order, trigger, AUTHORIZED))

    assert (refused.refusal, refused.trigger, refused.state) == (Refusal.TERMINAL, trigger, state)
    assert "terminal" in refused.reason
    assert (order.state, order.disputed) == (state, True)


@pytest.mark.parametrize(("state", "trigger"), TERMINAL_CASES, ids=TERMINAL_IDS)
def test_a_terminal_state_refuses_every_trigger_advanced(
    state: OrderState, trigger: Trigger
) -> None:
    order = InMemoryOrder(state)

    # Even a DR state "ahead" does not lead out of a terminal state.
    facts = dataclasses.replace(AUTHORIZED, dr_state="complete")

    refused = _refused(MACHINE.advance(order, trigger, facts))

    assert (refused.refusal, refused.trigger, refused.state) == (Refusal.TERMINAL, trigger, state)
    assert (order.state, order.disputed) == (state, False)


# ---------------------------------------------------------------- stale


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (S.ACCEPTED, T.AWAIT_PAYMENT),
        (S.ACCEPTED, T.OPEN_REVIEW),
        (S.IN_REVIEW, T.AWAIT_PAYMENT),
        (S.FULFILLED, T.ACCEPT),
        (S.COMPLETE, T.FULFIL),
        (S.COMPLETE, T.AWAIT_PAYMENT),
    ],
)
def test_a_signal_the_order_is_already_past_is_stale_and_changes_nothing(
    state: OrderState, trigger: Trigger
) -> None:
    order = InMemoryOrder(state, disputed=True)

    refused = _refused(MACHINE.advance(order, trigger, AUTHORIZED))

    assert (refused.refusal, refused.trigger, refused.state) == (Refusal.STALE, trigger, state)
    assert (order.state, order.disputed) == (state, True)


def test_a_late_pending_payment_does_not_undo_acceptance() -> None:
    order = InMemoryOrder(S.ACCEPTED)

    refused = _refused(MACHINE.advance(order, T.AWAIT_PAYMENT, Facts()))

    assert refused.refusal is Refusal.STALE
    assert "accepted" in refused.reason and "pending_payment" in refused.reason
    assert order.state is S.ACCEPTED


def test_accepting_an_accepted_order_again_is_stale_and_emits_nothing() -> None:
    order = InMemoryOrder(S.ACCEPTED)

    refused = _refused(MACHINE.advance(order, T.ACCEPT, AUTHORIZED))

    assert refused.refusal is Refusal.STALE
    assert refused.reason == "already accepted"
    assert order.state is S.ACCEPTED


# ---------------------------------------------------------------- no path


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (S.IN_REVIEW, T.REJECT_PAYMENT),
        (S.PENDING_PAYMENT, T.REJECT_PAYMENT),
        (S.ACCEPTED, T.BLOCK),
        (S.FULFILLED, T.CANCEL),
    ],
)
def test_a_signal_no_declared_path_leads_to_is_refused_and_changes_nothing(
    state: OrderState, trigger: Trigger
) -> None:
    order = InMemoryOrder(state)

    refused = _refused(MACHINE.advance(order, trigger, Facts()))

    assert (refused.refusal, refused.trigger, refused.state) == (Refusal.NO_PATH, trigger, state)
    assert state in refused.reason
    assert order.state is state


def test_a_409_after_review_opened_has_no_path_to_rejected() -> None:
    order = InMemoryOrder(S.IN_REVIEW)

    refused = _refused(MACHINE.advance(order, T.REJECT_PAYMENT, Facts()))

    assert refused.refusal is Refusal.NO_PATH
    assert "rejected" in refused.reason
    assert order.state is S.IN_REVIEW


# ---------------------------------------------------------------- advance jumping ahead


def test_fulfilment_seen_in_review_walks_through_acceptance_and_its_effects_fire_once() -> None:
    order = InMemoryOrder(S.IN_REVIEW)

    steps = _walked(MACHINE.advance(order, T.FULFIL, AUTHORIZED))

    assert [(s.source, s.trigger, s.dest) for s in steps] == [
        (S.IN_REVIEW, T.ACCEPT, S.ACCEPTED),
        (S.ACCEPTED, T.FULFIL, S.FULFILLED),
    ]
    names = [intent.name for step in steps for intent in step.effects]
    assert sorted(names) == sorted(
        [E.SEND_ORDER_CONFIRMATION, E.REQUEST_SHIPMENT, E.DELIVER_DIGITAL]
    )
    assert order.state is S.FULFILLED


def test_completion_seen_right_after_submission_walks_accept_fulfil_complete() -> None:
    order = InMemoryOrder(S.SUBMITTED)

    steps = _walked(MACHINE.advance(order, T.COMPLETE, AUTHORIZED))

    assert [step.trigger for step in steps] == [T.ACCEPT, T.FULFIL, T.COMPLETE]
    assert [step.dest for step in steps] == [S.ACCEPTED, S.FULFILLED, S.COMPLETE]
    assert order.state is S.COMPLETE


def test_a_signal_for_the_next_state_fires_exactly_one_step() -> None:
    order = InMemoryOrder(S.ACCEPTED)

    steps = _walked(MACHINE.advance(order, T.FULFIL, AUTHORIZED))

    assert [(s.source, s.dest, s.effects) for s in steps] == [(S.ACCEPTED, S.FULFILLED, ())]


def test_a_walk_refused_at_its_first_step_leaves_the_order_where_it_was() -> None:
    order = RecordingOrder(S.SUBMITTED)
    order.visited.clear()
    facts = Facts(charges=(ChargeFact("ch_1", "pending"),))

    refused = _refused(MACHINE.advance(order, T.COMPLETE, facts))

    assert (refused.trigger, refused.state, refused.refusal) == (
        T.COMPLETE,
        S.SUBMITTED,
        Refusal.GUARD_FAILED,
    )
    assert S.ACCEPTED not in order.visited
    assert order.state is S.SUBMITTED


def _never_booked(facts: Facts) -> Verdict:
    return Verdict(False, "no shipment booked for it_1")


def test_a_walk_whose_middle_guard_fails_restores_the_order_and_is_refused() -> None:
    shipment_booked = Guard("shipment booked", _never_booked)
    table = dataclasses.replace(
        LIFECYCLE,
        transitions=tuple(
            dataclasses.replace(t, guards=(shipment_booked,)) if t.trigger is T.FULFIL else t
            for t in LIFECYCLE.transitions
        ),
    )
    machine = LifecycleMachine(table)
    order = RecordingOrder(S.SUBMITTED, disputed=False)
    order.visited.clear()

    refused = _refused(machine.advance(order, T.COMPLETE, AUTHORIZED))

    assert (refused.trigger, refused.state, refused.refusal) == (
        T.COMPLETE,
        S.SUBMITTED,
        Refusal.GUARD_FAILED,
    )
    assert "no shipment booked for it_1" in refused.reason
    assert S.ACCEPTED in order.visited  # the first step did happen, and was undone
    assert (order.state, order.disputed) == (S.SUBMITTED, False)


def test_a_resolved_dispute_seen_before_acceptance_walks_to_accepted_first() -> None:
    order = InMemoryOrder(S.SUBMITTED, disputed=True)
    facts = dataclasses.replace(AUTHORIZED, dr_state="accepted")

    steps = _walked(MACHINE.advance(order, T.RESOLVE_DISPUTE, facts))

    assert [(s.source, s.trigger, s.dest) for s in steps] == [
        (S.SUBMITTED, T.ACCEPT, S.ACCEPTED),
        (S.ACCEPTED, T.RESOLVE_DISPUTE, S.ACCEPTED),
    ]
    assert E.SEND_ORDER_CONFIRMATION in [i.name for i in steps[0].effects]
    assert (order.state, order.disputed) == (S.ACCEPTED, False)


def test_a_dispute_seen_in_review_while_dr_says_fulfilled_walks_there_then_flags_it() -> None:
    order = InMemoryOrder(S.IN_REVIEW)
    facts = dataclasses.replace(AUTHORIZED, dr_state="fulfilled")

    steps = _walked(MACHINE.advance(order, T.OPEN_DISPUTE, facts))

    assert [step.trigger for step in steps] == [T.ACCEPT, T.FULFIL, T.OPEN_DISPUTE]
    assert (order.state, order.disputed) == (S.FULFILLED, True)


def test_an_internal_trigger_without_an_edge_or_a_state_ahead_is_refused() -> None:
    order = InMemoryOrder(S.SUBMITTED)

    refused = _refused(MACHINE.advance(order, T.OPEN_DISPUTE, Facts()))

    assert refused.refusal is Refusal.NO_SUCH_EDGE
    assert (order.state, order.disputed) == (S.SUBMITTED, False)


def test_a_record_of_a_stage_the_order_has_left_is_stale_not_refused() -> None:
    # DR's late fulfillment.created after order.complete: news the order already reflects.
    order = InMemoryOrder(S.COMPLETE)

    stale = _refused(MACHINE.advance(order, T.RECORD_FULFILLMENT, Facts()))

    assert (stale.refusal, stale.state) == (Refusal.STALE, S.COMPLETE)
    assert stale.reason == "complete is past record_fulfillment's states (accepted, fulfilled)"
    assert order.state is S.COMPLETE


def test_an_edge_that_judges_or_acts_is_still_refused_once_its_stage_is_left() -> None:
    # The platform's own report after DR's fulfilment has a guard and an effect: refused.
    reported = _refused(MACHINE.advance(InMemoryOrder(S.COMPLETE), T.REPORT_FULFILLMENT, Facts()))
    # A charge failure after acceptance would notify the customer: refused too.
    failed = _refused(MACHINE.advance(InMemoryOrder(S.ACCEPTED), T.FAIL_CHARGE, Facts()))
    # Not yet reached is not "past": a fulfilment before acceptance is refused as before.
    early = _refused(MACHINE.advance(InMemoryOrder(S.SUBMITTED), T.RECORD_FULFILLMENT, Facts()))

    assert reported.refusal is Refusal.NO_SUCH_EDGE
    assert failed.refusal is Refusal.NO_SUCH_EDGE
    assert early.refusal is Refusal.NO_SUCH_EDGE
