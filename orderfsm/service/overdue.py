"""Overdue orders told to the operator: ``notify_operator_stuck`` through the outbox, once per stay.

A deadline passing is no DR signal and moves no state, so no edge of the
lifecycle emits this effect: the table declares it (``LIFECYCLE.on_overdue``)
and this scan enqueues it. For each order past its state's deadline
(:func:`~orderfsm.service.stuck.stuck_orders`) one transaction locks the
order, checks that it still waits in that state since the same moment, and
adds the effect under a key made of the order, the state and that moment
(:func:`orderfsm.fsm.rules.overdue_key`; ``ON CONFLICT DO NOTHING``). A
second scan adds nothing; an order that moves on and waits too long in its
next state gets a new notice. The dispatcher delivers it like any effect.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from orderfsm.effects import OrderStuck
from orderfsm.errors import ContentionExhausted
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.rules import overdue_key
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import Transaction
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.records import PendingEffect
from orderfsm.service.engine import Engine
from orderfsm.service.retry import backoff
from orderfsm.service.stuck import StuckOrder, entered_at

ADVICE: Mapping[OrderState, str] = {
    OrderState.SUBMITTED: (
        "DR's answer to POST /orders was never recorded: a refresh looks the order up at DR "
        "by its checkout id; if DR never created it, the shopper must check out again"
    ),
    OrderState.PENDING_PAYMENT: (
        "the shopper has not paid (a delayed payment method): a refresh reads DR's order; "
        "past the payment window, cancel it at DR"
    ),
    OrderState.IN_REVIEW: (
        "DR's fraud review has not ended: a refresh reads DR's order; if it stays in review, "
        "ask DR's support"
    ),
    OrderState.ACCEPTED: (
        "accepted but not fulfilled: ship it (orderfsm fulfil) or cancel it (orderfsm cancel) "
        "before the card authorization lapses"
    ),
}
"""What DR or the operator can do about an order overdue in each state."""

DEFAULT_ADVICE = "read DR's order with a refresh and look at the order's history"


@dataclass(frozen=True, slots=True)
class OverdueReport:
    """What a scan did: orders found past their deadline, notices newly enqueued."""

    stuck: int
    notified: int

    def line(self) -> str:
        """``stuck N, notified M``."""
        return f"stuck {self.stuck}, notified {self.notified}"


def notify_overdue(
    engine: Engine,
    orders: Iterable[StuckOrder],
    *,
    dr_found: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> OverdueReport:
    """Enqueue the lifecycle's overdue effects for each of ``orders`` (once per stay).

    ``dr_found`` maps an upstream id to what a refresh just found at DR
    (``found``, ``not_created``), carried in the notice.
    """
    found = dr_found or {}
    stuck = notified = 0
    for order in orders:
        stuck += 1
        notified += _notify(engine, order, found.get(order.upstream_id), clock)
    return OverdueReport(stuck, notified)


def stuck_notice(order: StuckOrder, dr_order: str | None = None) -> OrderStuck:
    """The ``notify_operator_stuck`` payload of ``order``."""
    ref = order.upstream_id
    return OrderStuck(
        order_id=order.order_id,
        upstream_id=ref,
        checkout_id=order.checkout_id,
        state=order.state.value,
        since=order.since,
        deadline_seconds=int(order.deadline.total_seconds()),
        overdue_seconds=int(order.overdue.total_seconds()),
        last_signal=order.last_signal,
        last_signal_at=order.last_signal_at,
        dr_order=dr_order,
        advice=ADVICE.get(order.state, DEFAULT_ADVICE),
        commands=(f"orderfsm refresh {ref}", f"orderfsm show {ref}"),
    )


def _notify(
    engine: Engine, order: StuckOrder, dr_order: str | None, clock: Callable[[], datetime]
) -> int:
    """1 when this order's notice was enqueued now, 0 when it was there or the order moved on."""
    payload = stuck_notice(order, dr_order).model_dump(mode="json")
    attempts = engine.config.max_attempts
    for attempt in range(1, attempts + 1):
        added = 0
        with Transaction(engine.db, "notify overdue") as tx:
            record = tx.store.find_order(OrderRefs(upstream_id=order.upstream_id))
            if record is None or record.state is not order.state:
                return 0  # it moved on since the scan: not stuck in that state any more
            view = tx.store.view(record)
            if entered_at(view) != order.since:
                return 0
            known = {effect.key for effect in view.effects}
            now = clock()
            effects = [
                PendingEffect(
                    order_id=record.id,
                    effect=spec.name,
                    idempotency_key=overdue_key(
                        order.upstream_id, order.state, order.since, spec.name
                    ),
                    payload=payload,
                    created_at=now,
                )
                for spec in LIFECYCLE.on_overdue
            ]
            fresh = [effect for effect in effects if effect.idempotency_key not in known]
            tx.store.enqueue_effects(fresh)
            tx.commit()
            added = 1 if fresh else 0
        if tx.collision is None:
            return added
        if attempt < attempts:
            time.sleep(backoff(attempt))
    raise ContentionExhausted(attempts, "notify overdue")
