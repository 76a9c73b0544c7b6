"""THE lifecycle table: every state, trigger, edge, guard and effect.

The runtime machine, the static checks, the diagrams, the property tests and
the docs are all derived from :data:`LIFECYCLE`; nothing else repeats it.

Reading guide: a :class:`StateSpec` says what a state is and which effects
fire on *entering* it; a :class:`TransitionSpec` says which trigger moves an
order from which states to which state (``dest=None``: an internal transition
that records DR's news without changing the state), what it must pass, and
which effects the edge itself adds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from orderfsm.fsm.effects import (
    HAS_DIGITAL_ITEMS,
    HAS_PHYSICAL_ITEMS,
    SHOWS_PAYMENT_INSTRUCTIONS,
    EffectName,
    EffectSpec,
)
from orderfsm.fsm.guards import (
    ALL_CHARGES_AUTHORIZED,
    ALL_CHARGES_CANCELLED,
    FRAUD_NOT_BLOCKED,
    WITHIN_OPEN_QUANTITIES,
    Guard,
)
from orderfsm.fsm.states import OrderState, Trigger


class StateKind(StrEnum):
    """The role a state plays in the lifecycle."""

    INITIAL = "initial"
    NORMAL = "normal"
    TERMINAL = "terminal"


class StateGroup(StrEnum):
    """Bands that diagrams draw top to bottom."""

    PAYMENT_AND_REVIEW = "payment and review"
    FULFILMENT = "fulfilment"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class StateSpec:
    """One state: its kind, its band, what it means, and its entry effects."""

    state: OrderState
    kind: StateKind
    group: StateGroup
    meaning: str
    on_enter: tuple[EffectSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """A trigger's edges from each of ``sources`` to ``dest``.

    ``disputed`` sets (True) or clears (False) the dispute flag, which lies
    over the state rather than replacing it.
    """

    trigger: Trigger
    sources: tuple[OrderState, ...]
    dest: OrderState | None
    guards: tuple[Guard, ...] = ()
    effects: tuple[EffectSpec, ...] = ()
    disputed: bool | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """One declared edge: a transition spec expanded for one source state."""

    source: OrderState
    trigger: Trigger
    dest: OrderState | None
    guards: tuple[Guard, ...]
    effects: tuple[EffectSpec, ...]
    disputed: bool | None

    @property
    def internal(self) -> bool:
        """True when the edge records news without changing the state."""
        return self.dest is None

    @property
    def target(self) -> OrderState:
        """The state the order is in after this edge."""
        return self.source if self.dest is None else self.dest


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A complete lifecycle definition: states plus transitions."""

    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]
    deadlines: Mapping[OrderState, timedelta] = field(default_factory=dict)
    """How long an order may wait in a live state before it counts as stuck."""
    on_overdue: tuple[EffectSpec, ...] = ()
    """The effects an order past its state's deadline raises, once per stay in that state.

    No transition happens, so no edge emits them: the stuck scan
    (:mod:`orderfsm.service.overdue`) enqueues them (unconditional: no facts arrive)."""

    def spec(self, state: OrderState) -> StateSpec:
        """The spec of one state."""
        for spec in self.states:
            if spec.state is state:
                return spec
        raise KeyError(state)

    def edges(self) -> Iterator[Edge]:
        """Every edge, in table order."""
        for t in self.transitions:
            for source in t.sources:
                yield Edge(source, t.trigger, t.dest, t.guards, t.effects, t.disputed)

    @property
    def terminal_states(self) -> frozenset[OrderState]:
        """States no trigger leaves."""
        return frozenset(s.state for s in self.states if s.kind is StateKind.TERMINAL)

    @property
    def initial_states(self) -> tuple[OrderState, ...]:
        """States marked initial (the checks demand exactly one)."""
        return tuple(s.state for s in self.states if s.kind is StateKind.INITIAL)


S = OrderState
T = Trigger
E = EffectName

BEFORE_ACCEPTANCE = (S.SUBMITTED, S.PENDING_PAYMENT, S.IN_REVIEW)
AFTER_ACCEPTANCE = (S.ACCEPTED, S.FULFILLED, S.COMPLETE)
LIVE = BEFORE_ACCEPTANCE + AFTER_ACCEPTANCE
FULFILLING = (S.ACCEPTED,)
"""Where DR takes ``POST /fulfillments``: accepted, until every item is fulfilled or cancelled
(DR then moves the order on to fulfilled or cancelled itself)."""

DEADLINES: Mapping[OrderState, timedelta] = MappingProxyType(
    {
        # DR answers POST /orders in seconds; its events follow within minutes.
        S.SUBMITTED: timedelta(minutes=15),
        # Delayed payment methods (wire transfer, ...) give the shopper days to pay.
        S.PENDING_PAYMENT: timedelta(days=7),
        # DR's secondary fraud review, within its 72-hour webhook retry window.
        S.IN_REVIEW: timedelta(hours=72),
        # The merchant's choice: fulfil before card authorizations (about 7 days) lapse.
        S.ACCEPTED: timedelta(days=5),
    }
)
"""The default deadlines of :data:`LIFECYCLE`; a host overrides them (orderfsm.service.stuck)."""

LIFECYCLE = Lifecycle(
    states=(
        StateSpec(
            S.SUBMITTED,
            StateKind.INITIAL,
            StateGroup.PAYMENT_AND_REVIEW,
            "POST /orders sent; DR's answer not recorded yet, lost, or a 404 for a "
            "consumed checkout (DR's events will tell the real state)",
        ),
        StateSpec(
            S.PENDING_PAYMENT,
            StateKind.NORMAL,
            StateGroup.PAYMENT_AND_REVIEW,
            "charge not yet authorized; do not fulfil",
            on_enter=(EffectSpec(E.SEND_PAYMENT_INSTRUCTIONS, SHOWS_PAYMENT_INSTRUCTIONS),),
        ),
        StateSpec(
            S.IN_REVIEW,
            StateKind.NORMAL,
            StateGroup.PAYMENT_AND_REVIEW,
            "secondary fraud review running; do not fulfil",
        ),
        StateSpec(
            S.ACCEPTED,
            StateKind.NORMAL,
            StateGroup.FULFILMENT,
            "all charges authorized and fraud review passed: ready to fulfil",
            on_enter=(
                EffectSpec(E.SEND_ORDER_CONFIRMATION),
                EffectSpec(E.REQUEST_SHIPMENT, HAS_PHYSICAL_ITEMS),
                EffectSpec(E.DELIVER_DIGITAL, HAS_DIGITAL_ITEMS),
            ),
        ),
        StateSpec(
            S.FULFILLED,
            StateKind.NORMAL,
            StateGroup.FULFILMENT,
            "all items fulfilled (or the rest cancelled)",
        ),
        StateSpec(
            S.COMPLETE,
            StateKind.NORMAL,
            StateGroup.FULFILMENT,
            "fulfilled and captured",
        ),
        StateSpec(
            S.RETURNED,
            StateKind.TERMINAL,
            StateGroup.ENDED,
            "returned; the rest cancelled or refunded",
        ),
        StateSpec(
            S.REJECTED,
            StateKind.TERMINAL,
            StateGroup.ENDED,
            "POST /orders answered 409 (payment failure): no DR order; the shopper "
            "needs a new checkout",
        ),
        StateSpec(
            S.BLOCKED,
            StateKind.TERMINAL,
            StateGroup.ENDED,
            "fraud or denied-party block",
            on_enter=(EffectSpec(E.NOTIFY_ORDER_BLOCKED),),
        ),
        StateSpec(
            S.CANCELLED,
            StateKind.TERMINAL,
            StateGroup.ENDED,
            "fully cancelled: every charge cancelled",
            on_enter=(EffectSpec(E.NOTIFY_ORDER_CANCELLED),),
        ),
    ),
    transitions=(
        TransitionSpec(T.AWAIT_PAYMENT, (S.SUBMITTED,), S.PENDING_PAYMENT),
        TransitionSpec(T.OPEN_REVIEW, (S.SUBMITTED, S.PENDING_PAYMENT), S.IN_REVIEW),
        TransitionSpec(
            T.ACCEPT,
            BEFORE_ACCEPTANCE,
            S.ACCEPTED,
            guards=(ALL_CHARGES_AUTHORIZED, FRAUD_NOT_BLOCKED),
        ),
        TransitionSpec(
            T.REJECT_PAYMENT,
            (S.SUBMITTED,),
            S.REJECTED,
            effects=(EffectSpec(E.NOTIFY_PAYMENT_FAILED),),
        ),
        TransitionSpec(T.BLOCK, BEFORE_ACCEPTANCE, S.BLOCKED),
        TransitionSpec(T.CANCEL, BEFORE_ACCEPTANCE, S.CANCELLED, guards=(ALL_CHARGES_CANCELLED,)),
        TransitionSpec(
            T.CANCEL,
            (S.ACCEPTED,),
            S.CANCELLED,
            guards=(ALL_CHARGES_CANCELLED,),
            effects=(EffectSpec(E.CANCEL_FULFILLMENT),),
        ),
        TransitionSpec(T.FULFIL, (S.ACCEPTED,), S.FULFILLED),
        TransitionSpec(T.COMPLETE, (S.FULFILLED,), S.COMPLETE),
        TransitionSpec(T.RETURN, (S.FULFILLED, S.COMPLETE), S.RETURNED),
        TransitionSpec(
            T.FAIL_CHARGE,
            BEFORE_ACCEPTANCE,
            None,
            effects=(EffectSpec(E.NOTIFY_PAYMENT_FAILED),),
        ),
        TransitionSpec(T.NOTE_CHECKOUT_CONSUMED, (S.SUBMITTED,), None),
        TransitionSpec(T.NOTE_CHECKOUT_INCOMPLETE, (S.SUBMITTED,), None),
        TransitionSpec(T.LINK_DR_ORDER, LIVE, None),
        TransitionSpec(T.OPEN_DISPUTE, AFTER_ACCEPTANCE, None, disputed=True),
        TransitionSpec(T.RESOLVE_DISPUTE, AFTER_ACCEPTANCE, None, disputed=False),
        TransitionSpec(T.RECORD_FULFILLMENT, (S.ACCEPTED, S.FULFILLED), None),
        TransitionSpec(T.RECORD_CHARGE_CAPTURED, LIVE, None),
        TransitionSpec(T.RECORD_CAPTURE_FAILED, LIVE, None),
        TransitionSpec(T.RECORD_CHARGE_CANCELLED, LIVE, None),
        TransitionSpec(T.RECORD_REFUND, AFTER_ACCEPTANCE, None),
        TransitionSpec(
            T.REPORT_FULFILLMENT,
            FULFILLING,
            None,
            guards=(WITHIN_OPEN_QUANTITIES,),
            effects=(EffectSpec(E.REPORT_FULFILLMENT),),
        ),
    ),
    deadlines=DEADLINES,
    on_overdue=(EffectSpec(E.NOTIFY_OPERATOR_STUCK),),
)
"""The lifecycle of the platform's order against Digital River."""
