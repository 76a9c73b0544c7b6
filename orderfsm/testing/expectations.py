"""What the platform's order must end as, for a DR history, read off the lifecycle table.

Delivery order decides some details (a late ``order.review_opened`` is stale,
so ``in_review`` is skipped; ``order.cancelled`` seen before ``order.accepted``
cancels without ever accepting), so effects come as two sets:
:attr:`EffectExpectation.required` (every delivery order enqueues them) and
:attr:`EffectExpectation.allowed` (some delivery order may). Which effects a
state's entry emits is asked of :data:`~orderfsm.fsm.LIFECYCLE`, never repeated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orderfsm.errors import InvalidDefinition
from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.lifecycle import LIFECYCLE, Lifecycle
from orderfsm.fsm.signals import Facts, ItemFact
from orderfsm.fsm.states import OrderState, Trigger
from orderfsm.testing.model import STATE_WITHOUT_DR_ORDER, Answer, DrStep, HistoryPlan
from orderfsm.testing.walk import ANSWER_201, DrFact, dr_facts

S = OrderState

EXPANDED_EVENT_TYPES = frozenset(
    {"order.accepted", "order.cancelled", "order.refunded", "fulfillment.created"}
)
"""Event types whose expanded variant states ``items[].productDetails.physical``."""

ENTERS_ACCEPTED = frozenset(
    {
        ANSWER_201,
        "order.accepted",
        "order.fulfilled",
        "order.complete",
        "order.refunded",
        "order.dispute.resolved",
        "fulfillment.created",
    }
)
"""Signals that can bring a not-yet-accepted order into ``accepted`` (directly or
by walking the declared edges), when DR's order in them is accepted or beyond."""

_BEYOND_ACCEPTANCE = frozenset({"accepted", "fulfilled", "complete", "returned"})
_STATES = {s.value: s for s in OrderState}


@dataclass(frozen=True, slots=True)
class EffectExpectation:
    """Effects one order must enqueue (``required``) and may enqueue (``allowed``)."""

    required: frozenset[EffectName]
    allowed: frozenset[EffectName]


def dr_states(plan: HistoryPlan) -> tuple[OrderState, ...]:
    """The lifecycle states DR's order passed through, in order.

    ``dispute`` is a flag, not a state; the ``accepted`` that DR's
    ``order.dispute.resolved`` payload shows is not a move back.
    """
    seen: list[OrderState] = []
    for fact in dr_facts(plan):
        state = _STATES.get(fact.dr_state or "")
        if state is not None and state not in seen and fact.step is not DrStep.RESOLVE_DISPUTE:
            seen.append(state)
    return tuple(seen)


def upstream_path(plan: HistoryPlan) -> tuple[OrderState, ...]:
    """The states the platform's order may pass through, in lifecycle order.

    Delivery order can make the platform skip some of them (a late
    ``order.review_opened``), never visit another or go back.
    """
    if not plan.answer.creates_order:
        end = STATE_WITHOUT_DR_ORDER[plan.answer]
        return (S.SUBMITTED,) if end is S.SUBMITTED else (S.SUBMITTED, end)
    return (S.SUBMITTED, *dr_states(plan))


def expected_final_state(plan: HistoryPlan) -> OrderState:
    """The state the platform's order must be in once everything is delivered."""
    return upstream_path(plan)[-1]


def expected_disputed(plan: HistoryPlan) -> bool:
    """Whether DR's order ends with a dispute open."""
    disputed = False
    for fact in dr_facts(plan):
        if fact.step is DrStep.OPEN_DISPUTE:
            disputed = True
        elif fact.step is DrStep.RESOLVE_DISPUTE:
            disputed = False
    return disputed


def expected_effects(plan: HistoryPlan, lifecycle: Lifecycle = LIFECYCLE) -> EffectExpectation:
    """The lifecycle effects the platform's order must and may enqueue for ``plan``."""
    required: set[EffectName] = set()
    allowed: set[EffectName] = set()
    final = expected_final_state(plan)
    if plan.answer is Answer.PAYMENT_REFUSED:
        required |= _edge_effects(lifecycle, Trigger.REJECT_PAYMENT, S.SUBMITTED, Facts())
    for state in (S.BLOCKED, S.CANCELLED, S.REJECTED):
        if final is state:
            required |= _entry_effects(lifecycle, state, Facts())
    delivered = [
        f for f in dr_facts(plan) if plan.answer is Answer.CREATED or f.event_type != ANSWER_201
    ]

    pending = [
        f
        for f in delivered
        if f.dr_state == "pending_payment" and f.event_type in (ANSWER_201, "order.pending_payment")
    ]
    _expect(
        required, allowed, lifecycle, S.PENDING_PAYMENT, pending, sure=final is S.PENDING_PAYMENT
    )

    accepting = [
        f for f in delivered if f.event_type in ENTERS_ACCEPTED and f.dr_state in _BEYOND_ACCEPTANCE
    ]
    sure = final in (S.ACCEPTED, S.FULFILLED, S.COMPLETE, S.RETURNED)
    entered = _expect(required, allowed, lifecycle, S.ACCEPTED, accepting, sure=sure, plan=plan)
    if entered and final is S.CANCELLED:
        allowed |= _edge_effects(lifecycle, Trigger.CANCEL, S.ACCEPTED, Facts())

    if any(f.step is DrStep.FAIL_CHARGE for f in delivered):
        failed = _edge_effects(lifecycle, Trigger.FAIL_CHARGE, S.PENDING_PAYMENT, Facts())
        # Only DR's cancellation, delivered first, can make the failure news terminal.
        (required if final is S.PENDING_PAYMENT else allowed).update(failed)
    return EffectExpectation(frozenset(required), frozenset(required | allowed))


def _expect(
    required: set[EffectName],
    allowed: set[EffectName],
    lifecycle: Lifecycle,
    state: OrderState,
    candidates: Iterable[DrFact],
    *,
    sure: bool,
    plan: HistoryPlan | None = None,
) -> bool:
    """Add the entry effects of ``state`` for the signals that may enter it.

    Every signal that may enter ``state`` decides the conditional effects on
    its own facts, so what all of them emit is required (when the state is
    surely entered) and what any of them emits is allowed.
    """
    sets = [_entry_effects(lifecycle, state, _facts(fact, plan)) for fact in candidates]
    if not sets:
        return False
    allowed.update(*sets)
    if sure:
        required.update(frozenset.intersection(*sets))
    return True


def _facts(fact: DrFact, plan: HistoryPlan | None) -> Facts:
    items: tuple[ItemFact, ...] = ()
    if plan is not None:
        shape = plan.shape
        stated = shape.expanded and fact.event_type in EXPANDED_EVENT_TYPES
        items = tuple(
            ItemFact(f"item-{n}", kind.physical if stated else None)
            for n, kind in enumerate(shape.items, start=1)
        )
    return Facts(dr_state=fact.dr_state, next_action=fact.next_action, items=items)


def _entry_effects(lifecycle: Lifecycle, state: OrderState, facts: Facts) -> frozenset[EffectName]:
    return frozenset(e.name for e in lifecycle.spec(state).on_enter if e.applies(facts))


def _edge_effects(
    lifecycle: Lifecycle, trigger: Trigger, source: OrderState, facts: Facts
) -> frozenset[EffectName]:
    for edge in lifecycle.edges():
        if edge.trigger is trigger and edge.source is source:
            return frozenset(e.name for e in edge.effects if e.applies(facts))
    raise InvalidDefinition(f"the lifecycle has no {trigger} edge from {source}")
