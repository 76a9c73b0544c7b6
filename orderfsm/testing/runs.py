"""What one run of :class:`~orderfsm.testing.stateful.OrderLifecycleMachine` knows of its orders.

Each :class:`OrderRun` holds an order's DR history, what was delivered of it
and its outbox rows as last read (:class:`Enqueued`); the functions here turn
a stored :class:`~orderfsm.persistence.records.OrderView` into those rows and
judge an order at the end of a run.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import EffectStatus
from orderfsm.persistence.records import OrderView
from orderfsm.testing.history import Delivery, DeliveryKind, DrHistory
from orderfsm.testing.invariants import (
    EffectLike,
    OrderSnapshot,
    assert_converged,
    assert_done_effects_performed,
    assert_each_effect_once,
    assert_fulfilment_after_acceptance,
    assert_nothing_after_terminal,
    snapshot,
)

SETTLED = frozenset({EffectStatus.DONE, EffectStatus.DEAD})
"""Effect statuses no dispatcher pass hands over again."""


@dataclass(frozen=True, slots=True)
class Enqueued:
    """One outbox row of one order, as the invariants see it."""

    name: str
    key: str
    upstream_id: str
    done: bool = False
    """The outbox marks it done after a handler returned. (A done row with a note
    never reached a handler: the dispatcher found nothing to deliver.)"""
    settled: bool = False
    """Done or dead: no dispatcher pass will hand it over again."""


@dataclass(slots=True)
class OrderRun:
    """One order of a run: its DR history and where its delivery stands."""

    history: DrHistory
    pending: list[Delivery]
    """Not delivered yet, in DR's order."""
    delivered: list[Delivery] = field(default_factory=list)
    last: OrderSnapshot | None = None
    """The stored order when last checked (``None`` before its submit)."""
    enqueued: list[Enqueued] = field(default_factory=list)
    """Its outbox rows when last checked."""
    dirty: bool = False
    """Something was delivered to it since it was last checked."""

    @property
    def submitted(self) -> bool:
        """The platform's order exists (its submit was delivered)."""
        return any(d.kind is DeliveryKind.SUBMIT for d in self.delivered)

    def deliverable(self) -> list[Delivery]:
        """What may arrive next: any webhook, but the submit and answers only in turn."""
        first_own = next((d for d in self.pending if d.kind is not DeliveryKind.EVENT), None)
        return [d for d in self.pending if d.kind is DeliveryKind.EVENT or d is first_own]


def enqueued_of(view: OrderView) -> list[Enqueued]:
    """The order's outbox rows, as the invariants see them."""
    return [
        Enqueued(
            e.type,
            e.key,
            view.upstream_id,
            done=e.status == EffectStatus.DONE and e.last_error is None,
            settled=e.status in SETTLED,
        )
        for e in view.effects
    ]


def assert_run_promises(
    orders: Sequence[OrderRun],
    sent: Sequence[EffectLike],
    recorded: Sequence[EffectLike],
    handled: Collection[EffectName],
) -> None:
    """The promises across a run's orders: each effect once, in its place, and performed.

    ``sent`` is what the outside world received (judged for the ``handled``
    effect names), ``recorded`` what the recorder's handlers received (the others).
    """
    enqueued = [e for run in orders for e in run.enqueued]
    accepted = {r.history.upstream_id for r in orders if r.last and r.last.accepted}
    assert_each_effect_once(enqueued)
    assert_fulfilment_after_acceptance(enqueued, accepted)
    assert_nothing_after_terminal(enqueued)
    # A database shared between runs may hand this run's handlers effects of
    # orders from earlier runs: only this run's orders are judged.
    ours = {run.history.upstream_id for run in orders}
    ours_sent = [effect for effect in sent if effect.upstream_id in ours]
    assert_fulfilment_after_acceptance(ours_sent, accepted)
    assert_each_effect_once(ours_sent)
    # Exactly once needs the other half too: what the outbox marks done was performed.
    done = [e for e in enqueued if e.done]
    assert_done_effects_performed(
        [e for e in done if e.name in handled], ours_sent, seen_by="sent()"
    )
    others = [e for e in recorded if e.name not in handled]
    assert_done_effects_performed(
        [e for e in done if e.name not in handled], others, seen_by="the recorder"
    )


def assert_run_converged(run: OrderRun, view: OrderView) -> None:
    """The order reached DR's final state, linked to DR's order, every effect delivered."""
    assert_converged(run.history.plan, snapshot(view), (e.type for e in view.effects))
    if run.history.dr_order_id != view.order_id:
        raise AssertionError(
            f"order {view.upstream_id} is linked to DR order {view.order_id!r}, "
            f"not {run.history.dr_order_id!r} ({run.history.plan!r})"
        )
    undelivered = [
        f"{e.type} ({e.key}): {e.status}{f', {e.last_error}' if e.last_error else ''}"
        for e in view.effects
        if e.status != EffectStatus.DONE
    ]
    if undelivered:
        raise AssertionError(f"order {view.upstream_id} has effects not delivered: {undelivered}")


def events_of(deliveries: Sequence[Delivery]) -> list[Delivery]:
    """The webhooks among ``deliveries`` (what may be delivered again)."""
    return [d for d in deliveries if d.kind is DeliveryKind.EVENT]
