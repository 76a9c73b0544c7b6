"""Hypothesis strategies for Digital River orders, events, answers, histories and deliveries.

Everything is drawn from the model of DR's lifecycle (``model`` and ``walk``)
and rendered with DR's real shapes (``history``), so a drawn history is one DR
could really produce. Choices are small integers and short lists, so failures
shrink to small, readable examples: a history shrinks toward ``201 accepted``
with no further step, deliveries toward DR's own order with no duplicate.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from orderfsm.errors import ConfigurationError
from orderfsm.samples.builders import conflict_body, not_found_body
from orderfsm.testing.derived_events import DERIVATIONS, derive
from orderfsm.testing.history import Delivery, DeliveryKind, DrHistory, build_history
from orderfsm.testing.model import (
    CREATION_STATES,
    Answer,
    DrStep,
    HistoryPlan,
    ItemKind,
    OrderShape,
    SourceFlow,
)
from orderfsm.testing.walk import advance, allowed_steps, start

D = DrStep

Route = tuple[str, tuple[DrStep, ...]]

ROUTES: dict[str, tuple[Route, ...]] = {
    "order.pending_payment": (("pending_payment", ()),),
    "order.review_opened": (("in_review", ()), ("pending_payment", (D.OPEN_REVIEW,))),
    "order.accepted": (("accepted", ()), ("pending_payment", (D.ACCEPT,))),
    "order.blocked": (("in_review", (D.BLOCK,)),),
    "order.charge.failed": (("pending_payment", (D.FAIL_CHARGE,)),),
    "order.cancelled": (("pending_payment", (D.CANCEL,)), ("accepted", (D.CANCEL,))),
    "order.charge.cancel.complete": (("accepted", (D.CANCEL,)),),
    "fulfillment.created": (("accepted", (D.CREATE_FULFILLMENT,)),),
    "order.charge.capture.complete": (("accepted", (D.CAPTURE,)),),
    "order.fulfilled": (("accepted", (D.FULFIL,)),),
    "order.complete": (("accepted", (D.FULFIL, D.COMPLETE)),),
    "order.dispute": (("accepted", (D.FULFIL, D.COMPLETE, D.OPEN_DISPUTE)),),
    "order.dispute.resolved": (
        ("accepted", (D.FULFIL, D.COMPLETE, D.OPEN_DISPUTE, D.RESOLVE_DISPUTE)),
    ),
    "order.refunded": (("accepted", (D.FULFIL, D.REFUND)),),
    "order.charge.refund.complete": (("accepted", (D.FULFIL, D.REFUND)),),
    "order.invoice.created": (("accepted", (D.INVOICE,)),),
}
"""For every event type DR sends about an order: short DR histories that send it."""

EVENT_TYPES = tuple(ROUTES)
"""Every event type :func:`dr_events` draws."""

DR_EVENT_TYPES = EVENT_TYPES + tuple(DERIVATIONS)
"""Every event type :func:`any_dr_events` draws: the lifecycle's and those DR sends beside it
(low-code checkouts, failed or pending captures, refunds, returns, credit memos, subscriptions)."""

STATE_EVENTS = {
    "pending_payment": "order.pending_payment",
    "in_review": "order.review_opened",
    "accepted": "order.accepted",
    "blocked": "order.blocked",
    "cancelled": "order.cancelled",
    "fulfilled": "order.fulfilled",
    "complete": "order.complete",
    "returned": "order.refunded",
    "dispute": "order.dispute",
}
"""The event whose order object shows each DR state (what :func:`dr_orders` draws from)."""

_ANSWERS = (
    (Answer.CREATED,) * 6
    + (Answer.LOST, Answer.CONSUMED) * 2
    + tuple(a for a in Answer if not a.creates_order)
)
"""Weighted toward answers that make a DR order: their histories have more to them."""

_CREATION_ORDER = ("accepted", "in_review", "pending_payment")


@cache
def _step_counts(most: int) -> st.SearchStrategy[int]:
    """How many steps to try: any, but half the time at least half of ``most``."""
    return st.integers(0, most) | st.integers(most // 2, most)


# Strategies history_plans draws from, built once: hypothesis validates each
# new strategy object on its first draw, and a harness run draws many plans.
_ANSWER = st.sampled_from(_ANSWERS)
_RESUBMITTED = st.integers(0, 4)
_CREATED_IN = st.sampled_from(_CREATION_ORDER)
_STEP_CHOICE = st.integers(0, 9)


@dataclass(frozen=True, slots=True)
class CreateOrderAnswer:
    """One answer to ``POST /orders``: status and body, as DR sends them."""

    status: int
    body: dict[str, Any]


def order_shapes(flows: Sequence[SourceFlow] = tuple(SourceFlow)) -> st.SearchStrategy[OrderShape]:
    """Orders of 1-3 physical, digital or unknown items, 1-3 charges, any payment flow."""
    return _shapes(tuple(flows))


@cache
def _shapes(flows: tuple[SourceFlow, ...]) -> st.SearchStrategy[OrderShape]:
    return st.builds(
        OrderShape,
        items=st.lists(st.sampled_from(ItemKind), min_size=1, max_size=3).map(tuple),
        charges=st.integers(1, 3),
        flow=st.sampled_from(flows),
        expanded=st.booleans(),
        upstream_id_at_dr=st.booleans().map(lambda missing: not missing),
    )


@st.composite
def history_plans(
    draw: st.DrawFn, max_steps: int = 8, steps: Collection[DrStep] = tuple(DrStep)
) -> HistoryPlan:
    """DR-consistent plans: an answer, a creation state, then up to ``max_steps`` steps.

    Only steps in ``steps`` are drawn (leave one out to study the others).
    """
    answer = draw(_ANSWER)
    after_incomplete = answer is not Answer.INCOMPLETE and draw(_RESUBMITTED) == 4
    if not answer.creates_order:
        return HistoryPlan(draw(order_shapes()), answer, None, (), after_incomplete)
    # The creation state before the flow, so each shrinks on its own.
    created_in = draw(_CREATED_IN)
    shape = draw(order_shapes([f for f in SourceFlow if created_in in CREATION_STATES[f]]))
    order = start(HistoryPlan(shape, answer, created_in))
    taken: list[DrStep] = []
    for _ in range(draw(_step_counts(max_steps))):
        # Half the time DR takes the most natural step (the first option), so
        # long histories (complete, disputed, refunded) are drawn often.
        choice = draw(_STEP_CHOICE)
        options = [step for step in allowed_steps(order) if step in steps]
        if not options:
            break
        step = options[0 if choice < 5 else (choice - 5) % len(options)]
        advance(order, step)
        taken.append(step)
    return HistoryPlan(shape, answer, created_in, tuple(taken), after_incomplete)


def dr_histories(
    number: int = 1, prefix: str = "", steps: Collection[DrStep] = tuple(DrStep)
) -> st.SearchStrategy[DrHistory]:
    """DR-consistent histories of one order (ids from ``number`` and ``prefix``)."""
    return history_plans(steps=steps).map(lambda plan: build_history(plan, number, prefix))


@st.composite
def deliveries(
    draw: st.DrawFn, history: DrHistory, max_duplicates: int = 3
) -> tuple[Delivery, ...]:
    """Every delivery of ``history`` once, in any order, plus duplicated webhooks.

    The platform submits before it can record an answer, and records its
    answers in the order it got them; webhooks come in any order around them.
    """
    ordered = history.in_dr_order()
    submit = ordered[0]
    answers = [d for d in ordered if d.kind is DeliveryKind.ANSWER]
    events = [d for d in ordered if d.kind is DeliveryKind.EVENT]
    sequence = [events[i] for i in draw(st.permutations(range(len(events))))]
    if events:
        for index, at in draw(
            st.lists(
                st.tuples(st.integers(0, len(events) - 1), st.integers(0, 2 * len(events))),
                max_size=max_duplicates,
            )
        ):
            sequence.insert(min(at, len(sequence)), events[index])
    at = draw(st.integers(0, len(sequence)))
    sequence.insert(at, submit)
    for answer in answers:
        at = min(at + 1 + draw(st.integers(0, len(sequence))), len(sequence))
        sequence.insert(at, answer)
    return tuple(sequence)


@st.composite
def dr_events(draw: st.DrawFn, type: str | None = None) -> dict[str, Any]:
    """Webhook events as DR sends them, of ``type`` or any lifecycle type."""
    event_type = type if type is not None else draw(st.sampled_from(EVENT_TYPES))
    if event_type not in ROUTES:
        raise ConfigurationError(
            f"no DR history sends {event_type!r}; expected one of {EVENT_TYPES}"
        )
    created_in, steps = draw(st.sampled_from(ROUTES[event_type]))
    flows = [f for f in SourceFlow if created_in in CREATION_STATES[f]]
    if D.FAIL_CHARGE in steps:
        flows.remove(SourceFlow.RECEIVER)
    shape = draw(order_shapes(flows))
    history = build_history(HistoryPlan(shape, Answer.CREATED, created_in, steps))
    matching = [e for e in history.events if e["type"] == event_type]
    return draw(st.sampled_from(matching))


def any_dr_events(types: Collection[str] = DR_EVENT_TYPES) -> st.SearchStrategy[dict[str, Any]]:
    """Webhook events of any of ``types`` (default: every type in :data:`DR_EVENT_TYPES`).

    Unlike :func:`dr_events`, whether orderfsm acts on a type plays no part:
    use it to check that what your backend ignores is ignored. Types no DR
    history sends are derived from one that does (see
    :mod:`orderfsm.testing.derived_events`), so their ids and times agree with
    the order's. Shrinks toward the first of ``types``.
    """
    chosen = list(dict.fromkeys(types))
    unknown = [t for t in chosen if t not in ROUTES and t not in DERIVATIONS]
    if not chosen or unknown:
        raise ConfigurationError(
            f"cannot draw DR events of {unknown or chosen!r}; expected some of {DR_EVENT_TYPES}"
        )
    return st.sampled_from(chosen).flatmap(_events_of)


def _events_of(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    if event_type in ROUTES:
        return dr_events(event_type)
    bases = DERIVATIONS[event_type].bases
    return st.sampled_from(bases).flatmap(dr_events).map(lambda base: derive(event_type, base))


def dr_orders(state: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """DR order objects (``data.object`` of ``order.*`` events) in ``state`` or any state."""
    states = [state] if state is not None else list(STATE_EVENTS)
    unknown = [s for s in states if s not in STATE_EVENTS]
    if unknown:
        raise ConfigurationError(
            f"DR orders are never in {unknown[0]!r}; expected one of {list(STATE_EVENTS)}"
        )
    return st.sampled_from(states).flatmap(
        lambda s: dr_events(STATE_EVENTS[s]).map(lambda event: event["data"]["object"])
    )


def create_order_responses() -> st.SearchStrategy[CreateOrderAnswer]:
    """Answers to ``POST /orders``: 201 in each creation state, 409 payment/fraud, 404, 400."""
    created = st.sampled_from(["accepted", "in_review", "pending_payment"]).flatmap(dr_orders)
    return st.one_of(
        created.map(lambda order: CreateOrderAnswer(201, order)),
        st.sampled_from(
            [
                CreateOrderAnswer(409, conflict_body("failed-request", "Failed to charge source.")),
                CreateOrderAnswer(
                    409,
                    conflict_body(
                        "create-order-failed",
                        "The order is missing required details and could not be completed.",
                    ),
                ),
                CreateOrderAnswer(
                    409, conflict_body("order-fraud-failure", "Fraud review failed.")
                ),
                CreateOrderAnswer(404, not_found_body("co-1")),
                CreateOrderAnswer(
                    400,
                    {
                        "type": "bad_request",
                        "errors": [
                            {
                                "code": "order_submit_failed",
                                "message": "Payment session status is invalid.",
                            }
                        ],
                    },
                ),
            ]
        ),
    )
