"""The static checks: the real table passes; each broken table fails with one precise error.

Each broken table changes one thing in :data:`LIFECYCLE`, so the error it
raises can only be about that change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

import pytest

from orderfsm.errors import InvalidDefinition, OrderFsmError
from orderfsm.fsm import LIFECYCLE, EffectName, Lifecycle, LifecycleMachine, check_lifecycle
from orderfsm.fsm.effects import HAS_PHYSICAL_ITEMS, EffectSpec
from orderfsm.fsm.guards import PASS, Guard, Verdict
from orderfsm.fsm.lifecycle import StateKind, StateSpec, TransitionSpec
from orderfsm.fsm.signals import Facts
from orderfsm.fsm.states import OrderState, Trigger

S = OrderState
T = Trigger
E = EffectName


def _with_kind(state: OrderState, kind: StateKind) -> Lifecycle:
    return dataclasses.replace(
        LIFECYCLE,
        states=tuple(
            dataclasses.replace(spec, kind=kind) if spec.state is state else spec
            for spec in LIFECYCLE.states
        ),
    )


def _without_transition(trigger: Trigger) -> Lifecycle:
    return dataclasses.replace(
        LIFECYCLE, transitions=tuple(t for t in LIFECYCLE.transitions if t.trigger is not trigger)
    )


def _plus(*transitions: TransitionSpec) -> Lifecycle:
    return dataclasses.replace(LIFECYCLE, transitions=LIFECYCLE.transitions + transitions)


def _rerouted(trigger: Trigger, sources: tuple[OrderState, ...]) -> Lifecycle:
    return dataclasses.replace(
        LIFECYCLE,
        transitions=tuple(
            dataclasses.replace(t, sources=sources) if t.trigger is trigger else t
            for t in LIFECYCLE.transitions
        ),
    )


def _pass(facts: Facts) -> Verdict:
    return PASS


def _guarded_fulfil_twice(first: Guard, second: Guard) -> Lifecycle:
    """``accepted --fulfil--> fulfilled`` declared twice, with one guard on each."""
    return dataclasses.replace(
        LIFECYCLE,
        transitions=(
            *(t for t in LIFECYCLE.transitions if t.trigger is not T.FULFIL),
            TransitionSpec(T.FULFIL, (S.ACCEPTED,), S.FULFILLED, guards=(first,)),
            TransitionSpec(T.FULFIL, (S.ACCEPTED,), S.FULFILLED, guards=(second,)),
        ),
    )


def _not_an_effect_name(name: str) -> EffectName:
    # A plain string where the table expects the vocabulary's enum; cast so the
    # broken table can be built at all.
    return cast(EffectName, name)


PARCEL_SHIPPED = Guard("parcel shipped", _pass)
PARCEL_PENDING = Guard("parcel pending", _pass)
PARCEL_PENDING_EXCLUSIVE = Guard("parcel pending", _pass, frozenset({"parcel shipped"}))


BROKEN: list[tuple[str, Lifecycle, list[str]]] = [
    (
        "two initial states",
        _with_kind(S.PENDING_PAYMENT, StateKind.INITIAL),
        ["exactly one initial state", "submitted", "pending_payment"],
    ),
    (
        "no initial state",
        _with_kind(S.SUBMITTED, StateKind.NORMAL),
        ["exactly one initial state", "none"],
    ),
    (
        "an unreachable state",
        _without_transition(T.AWAIT_PAYMENT),
        ["unreachable", "pending_payment"],
    ),
    (
        "a terminal state with a way out",
        _plus(TransitionSpec(T.LINK_DR_ORDER, (S.CANCELLED,), None)),
        ["terminal state cancelled", "cancelled --link_dr_order--> cancelled"],
    ),
    (
        "a trap state",
        _rerouted(T.RETURN, (S.FULFILLED,)),
        ["state complete cannot reach any terminal state"],
    ),
    (
        "no terminal state at all",
        dataclasses.replace(
            LIFECYCLE,
            states=tuple(
                dataclasses.replace(spec, kind=StateKind.NORMAL)
                if spec.kind is StateKind.TERMINAL
                else spec
                for spec in LIFECYCLE.states
            ),
        ),
        ["no terminal state"],
    ),
    (
        "two unguarded edges on one source and trigger",
        _plus(TransitionSpec(T.FULFIL, (S.ACCEPTED,), S.FULFILLED)),
        ["accepted --fulfil--> fulfilled", "share a source and trigger"],
    ),
    (
        "two guarded edges whose guards do not exclude each other",
        _guarded_fulfil_twice(PARCEL_SHIPPED, PARCEL_PENDING),
        ["accepted --fulfil--> fulfilled", "do not exclude each other"],
    ),
    (
        "a trigger with two destinations",
        _plus(TransitionSpec(T.FULFIL, (S.IN_REVIEW,), S.COMPLETE)),
        ["trigger fulfil", "fulfilled", "complete", "in_review --fulfil--> complete"],
    ),
    (
        "an internal trigger that also changes the state",
        _plus(TransitionSpec(T.OPEN_DISPUTE, (S.SUBMITTED,), S.BLOCKED)),
        ["trigger open_dispute", "no change", "blocked"],
    ),
    (
        "an entry effect outside the vocabulary",
        dataclasses.replace(
            LIFECYCLE,
            states=tuple(
                dataclasses.replace(
                    spec,
                    on_enter=(*spec.on_enter, EffectSpec(_not_an_effect_name("send_sms"))),
                )
                if spec.state is S.ACCEPTED
                else spec
                for spec in LIFECYCLE.states
            ),
        ),
        ["state accepted", "'send_sms'", "not in the effect vocabulary"],
    ),
    (
        "an edge effect spelled as a plain string of a real name",
        _plus(
            TransitionSpec(
                T.RECORD_REFUND,
                (S.SUBMITTED,),
                None,
                effects=(EffectSpec(_not_an_effect_name("notify_payment_failed")),),
            )
        ),
        ["submitted --record_refund--> submitted", "not in the effect vocabulary"],
    ),
    (
        "an edge to an undeclared state",
        dataclasses.replace(
            LIFECYCLE, states=tuple(s for s in LIFECYCLE.states if s.state is not S.RETURNED)
        ),
        ["--return--> returned", "undeclared state returned"],
    ),
    (
        "a state declared twice",
        dataclasses.replace(
            LIFECYCLE,
            states=(
                *LIFECYCLE.states,
                StateSpec(S.ACCEPTED, StateKind.NORMAL, LIFECYCLE.spec(S.ACCEPTED).group, "again"),
            ),
        ),
        ["state accepted is declared twice"],
    ),
    (
        "an overdue effect with a condition (no facts come with a deadline passing)",
        dataclasses.replace(
            LIFECYCLE, on_overdue=(EffectSpec(E.NOTIFY_OPERATOR_STUCK, HAS_PHYSICAL_ITEMS),)
        ),
        ["notify_operator_stuck (physical items) has a condition"],
    ),
    (
        "an edge emitting the overdue effect",
        _plus(
            TransitionSpec(
                T.RECORD_REFUND,
                (S.SUBMITTED,),
                None,
                effects=(EffectSpec(E.NOTIFY_OPERATOR_STUCK),),
            )
        ),
        ["submitted --record_refund--> submitted", "an overdue order's effect"],
    ),
]

BUILDERS: list[tuple[str, Callable[[Lifecycle], Any]]] = [
    ("check_lifecycle", check_lifecycle),
    ("LifecycleMachine", LifecycleMachine),
]


def test_the_real_lifecycle_passes_every_check() -> None:
    check_lifecycle(LIFECYCLE)


def test_a_machine_builds_from_the_real_lifecycle() -> None:
    assert LifecycleMachine(LIFECYCLE).lifecycle is LIFECYCLE


@pytest.mark.parametrize("build", [b for _, b in BUILDERS], ids=[n for n, _ in BUILDERS])
@pytest.mark.parametrize(
    ("lifecycle", "culprits"),
    [(lifecycle, culprits) for _, lifecycle, culprits in BROKEN],
    ids=[name for name, _, _ in BROKEN],
)
def test_a_broken_table_raises_one_invalid_definition_naming_the_culprit(
    lifecycle: Lifecycle, culprits: list[str], build: Callable[[Lifecycle], Any]
) -> None:
    with pytest.raises(InvalidDefinition) as raised:
        build(lifecycle)

    message = str(raised.value)
    for culprit in culprits:
        assert culprit in message, f"{culprit!r} not named in: {message}"


def test_a_broken_table_fails_with_the_projects_own_error_root() -> None:
    with pytest.raises(OrderFsmError):
        check_lifecycle(_without_transition(T.AWAIT_PAYMENT))


def test_two_edges_on_one_source_and_trigger_pass_when_their_guards_exclude_each_other() -> None:
    lifecycle = _guarded_fulfil_twice(PARCEL_SHIPPED, PARCEL_PENDING_EXCLUSIVE)

    check_lifecycle(lifecycle)
    assert len(LifecycleMachine(lifecycle).edges_from(S.ACCEPTED)[T.FULFIL]) == 2


def test_exclusion_declared_on_the_first_edges_guard_is_enough_too() -> None:
    shipped_exclusive = Guard("parcel shipped", _pass, frozenset({"parcel pending"}))

    check_lifecycle(_guarded_fulfil_twice(shipped_exclusive, PARCEL_PENDING))


def test_an_exclusion_naming_some_other_guard_does_not_make_edges_exclusive() -> None:
    unrelated = Guard("parcel pending", _pass, frozenset({"parcel lost"}))

    with pytest.raises(InvalidDefinition, match="do not exclude each other"):
        check_lifecycle(_guarded_fulfil_twice(PARCEL_SHIPPED, unrelated))


def test_the_undeclared_state_check_also_catches_an_edge_leaving_an_undeclared_state() -> None:
    lifecycle = dataclasses.replace(
        _without_transition(T.RETURN),
        states=tuple(s for s in LIFECYCLE.states if s.state is not S.RETURNED),
    )
    lifecycle = dataclasses.replace(
        lifecycle,
        transitions=(*lifecycle.transitions, TransitionSpec(T.RECORD_REFUND, (S.RETURNED,), None)),
    )

    with pytest.raises(InvalidDefinition) as raised:
        check_lifecycle(lifecycle)

    assert "returned --record_refund--> returned" in str(raised.value)
    assert "undeclared state returned" in str(raised.value)
