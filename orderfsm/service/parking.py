"""Events for orders not known yet: parking them, and adopting orders DR made itself.

Parking and attaching (:meth:`~orderfsm.service.applying.Applier.attach_parked`)
follow the identity-lock protocol of docs/architecture.md ("Parking versus
attaching"): under READ COMMITTED an event looking for its order and a
transaction making that order findable could otherwise miss each other.
"""

from __future__ import annotations

from datetime import datetime

from orderfsm.errors import OrderNotFound
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.signals import Signal
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import Collision, Store
from orderfsm.persistence.database import to_db_time
from orderfsm.persistence.records import NewOrder, OrderRecord, ParkedSignal
from orderfsm.service.results import Answer, ApplyResult
from orderfsm.service.writes import ADOPTED, creation_entry

PARKED_REASON = "order not known yet"
ATTACHED_REASON = "order was not known when the event arrived"
ADOPTED_REASON = "order created by DR (low-code checkout)"


def park(store: Store, signal: Signal, raw_body: str | None, now: datetime) -> Answer | Collision:
    """Keep ``signal`` until its order is known, or say why it cannot wait.

    The order may have been committed since it was looked up, or be being
    committed right now (PostgreSQL, READ COMMITTED). Hold the locks every
    transaction that makes an order findable also holds, and look again:
    then either it sees this parked event, or this transaction sees the
    order. Never wait while holding them, so the two can never deadlock:
    answer a :class:`Collision` and let the unit run again from the start.
    """
    if raw_body is None or signal.event_id is None:
        return OrderNotFound(signal.dr_order_id or signal.checkout_id or "?")
    refs = signal.refs
    if not store.lock_identities(refs.identities(), wait=False):
        return Collision(f"event {signal.event_id}: its order is being linked")
    if store.find_order(refs, lock=False) is not None:
        return Collision(f"event {signal.event_id}: its order appeared")
    store.park(
        ParkedSignal(
            event_id=signal.event_id,
            event_type=signal.event_type,
            refs=refs,
            dr_time=to_db_time(signal.dr_time),
            body=raw_body,
            parked_at=now,
        )
    )
    return ApplyResult(Outcome.PARKED, None, None, reason=PARKED_REASON, trigger=signal.trigger)


def adopt(store: Store, signal: Signal, initial: OrderState, now: datetime) -> OrderRecord:
    """Create the order a DR-made checkout announces (``adopt_dr_orders``)."""
    order = store.insert_order(
        NewOrder(
            upstream_id=signal.upstream_id or f"dr:{signal.dr_order_id}",
            checkout_id=signal.checkout_id,
            dr_order_id=signal.dr_order_id,
            state=initial,
            created_at=now,
        )
    )
    store.add_history([creation_entry(order, ADOPTED, SignalOrigin.WEBHOOK, now, ADOPTED_REASON)])
    return order
