"""Random trigger sequences against the lifecycle machine.

Whatever DR sends, in whatever order: the order stays in a declared state,
terminal states absorb everything, refusals change nothing, every applied step
follows a declared edge forward, and acceptance's effects fire at most once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from orderfsm.fsm import (
    LIFECYCLE,
    Applied,
    Facts,
    InMemoryOrder,
    LifecycleMachine,
    OrderState,
    Refusal,
    Refused,
    Trigger,
)
from orderfsm.fsm.signals import ChargeFact, ItemFact

MACHINE = LifecycleMachine()
DECLARED_STATES = {spec.state for spec in LIFECYCLE.states}
TERMINAL = LIFECYCLE.terminal_states
DECLARED_EDGES = {(edge.source, edge.trigger, edge.target) for edge in LIFECYCLE.edges()}

CHARGE_STATES = ["pending", "capturable", "processing", "complete", "cancelled", "failed"]

charges = st.lists(
    st.builds(
        ChargeFact,
        id=st.sampled_from(["ch_1", "ch_2", "ch_3"]),
        state=st.sampled_from(CHARGE_STATES),
    ),
    max_size=3,
).map(tuple)

items = st.lists(
    st.builds(
        ItemFact,
        id=st.sampled_from(["it_1", "it_2", "it_3"]),
        physical=st.sampled_from([True, False, None]),
    ),
    max_size=3,
).map(tuple)

facts = st.builds(
    Facts,
    dr_state=st.none() | st.sampled_from([s.value for s in OrderState] + ["draft", "unknown"]),
    fraud_state=st.sampled_from([None, "passed", "in_review", "blocked"]),
    charges=charges,
    next_action=st.sampled_from([None, "show_payment_instructions", "redirect"]),
    items=items,
)

steps = st.lists(
    st.tuples(st.sampled_from(Trigger), facts, st.booleans()),
    max_size=30,
)
"""Each step: a trigger, DR's facts, and whether to ``advance`` (True) or ``fire``."""

PROPERTY = settings(max_examples=200, deadline=None)


@dataclass(frozen=True)
class Step:
    """One trigger applied to the order, with what it was before and after."""

    trigger: Trigger
    advanced: bool
    before: tuple[OrderState, bool]
    after: tuple[OrderState, bool]
    applied: tuple[Applied, ...]
    refused: Refused | None


def run(sequence: list[tuple[Trigger, Facts, bool]], disputed: bool = False) -> list[Step]:
    """Apply ``sequence`` to a new order; return what each step did."""
    order = InMemoryOrder(disputed=disputed)
    trace: list[Step] = []
    for trigger, step_facts, advanced in sequence:
        before = (order.state, order.disputed)
        applied: tuple[Applied, ...] = ()
        refused: Refused | None = None
        if advanced:
            walked = MACHINE.advance(order, trigger, step_facts)
            if isinstance(walked, Refused):
                refused = walked
            else:
                applied = walked
        else:
            fired = MACHINE.fire(order, trigger, step_facts)
            if isinstance(fired, Refused):
                refused = fired
            else:
                applied = (fired,)
        trace.append(
            Step(trigger, advanced, before, (order.state, order.disputed), applied, refused)
        )
    return trace


@PROPERTY
@given(steps)
def test_an_order_is_always_in_a_declared_state(
    sequence: list[tuple[Trigger, Facts, bool]],
) -> None:
    for step in run(sequence):
        assert step.after[0] in DECLARED_STATES
        assert type(step.after[0]) is OrderState


@PROPERTY
@given(steps, st.booleans())
def test_once_terminal_an_order_stays_terminal_and_refuses_every_trigger(
    sequence: list[tuple[Trigger, Facts, bool]], disputed: bool
) -> None:
    for step in run(sequence, disputed):
        if step.before[0] in TERMINAL:
            assert step.refused is not None
            assert step.refused.refusal is Refusal.TERMINAL
            assert step.after == step.before


@PROPERTY
@given(steps, st.booleans())
def test_a_refusal_changes_neither_state_nor_dispute_flag(
    sequence: list[tuple[Trigger, Facts, bool]], disputed: bool
) -> None:
    for step in run(sequence, disputed):
        if step.refused is not None:
            assert step.after == step.before
            assert step.refused.state is step.before[0]
            assert step.refused.trigger is step.trigger
            assert step.applied == ()


@PROPERTY
@given(steps)
def test_each_applied_step_starts_where_the_order_was_and_ends_where_it_is(
    sequence: list[tuple[Trigger, Facts, bool]],
) -> None:
    for step in run(sequence):
        if step.refused is not None:
            continue
        assert step.applied, "an outcome that is not refused applies at least one edge"
        assert step.applied[0].source is step.before[0]
        for earlier, later in zip(step.applied, step.applied[1:], strict=False):
            assert later.source is earlier.dest
        assert step.applied[-1].dest is step.after[0]
        assert step.applied[-1].trigger is step.trigger
        if not step.advanced:
            assert len(step.applied) == 1


@PROPERTY
@given(steps)
def test_no_state_is_entered_twice_and_only_along_declared_edges(
    sequence: list[tuple[Trigger, Facts, bool]],
) -> None:
    entered = [OrderState.SUBMITTED]
    for step in run(sequence):
        for applied in step.applied:
            assert (applied.source, applied.trigger, applied.dest) in DECLARED_EDGES
            assert applied.internal is (applied.source is applied.dest)
            if not applied.internal:
                assert applied.dest not in entered, f"{applied.dest} entered twice: {entered}"
                entered.append(applied.dest)


@PROPERTY
@given(steps)
def test_the_effects_of_entering_accepted_fire_at_most_once_per_sequence(
    sequence: list[tuple[Trigger, Facts, bool]],
) -> None:
    on_accepted = Counter(
        intent.name
        for step in run(sequence)
        for applied in step.applied
        for intent in applied.effects
        if intent.entered is OrderState.ACCEPTED
    )

    assert all(count == 1 for count in on_accepted.values()), on_accepted


@PROPERTY
@given(steps)
def test_effects_name_the_trigger_and_state_of_the_step_that_emitted_them(
    sequence: list[tuple[Trigger, Facts, bool]],
) -> None:
    for step in run(sequence):
        for applied in step.applied:
            for intent in applied.effects:
                assert intent.trigger is applied.trigger
                assert intent.entered is (None if applied.internal else applied.dest)
