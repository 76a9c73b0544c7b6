"""The records one unit of work writes: history entries and effect intents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from orderfsm.adapters.digitalriver.effect_payloads import effect_payload
from orderfsm.fsm.effects import EffectIntent
from orderfsm.fsm.machine import Applied
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.rules import effect_key
from orderfsm.fsm.signals import Signal
from orderfsm.persistence.database import to_db_time
from orderfsm.persistence.records import HistoryEntry, OrderRecord, PendingEffect

SUBMITTED = "submit"
"""The history trigger of an order the platform created."""
ADOPTED = "adopt"
"""The history trigger of an order DR created (low-code checkouts)."""


def creation_entry(
    order: OrderRecord, trigger: str, origin: SignalOrigin, now: datetime, reason: str | None = None
) -> HistoryEntry:
    """The first history entry of a new order."""
    return HistoryEntry(
        order_id=order.id,
        trigger=trigger,
        from_state=None,
        to_state=order.state,
        outcome=Outcome.APPLIED,
        origin=origin,
        recorded_at=now,
        reason=reason,
    )


def signal_entry(
    order: OrderRecord, signal: Signal, outcome: Outcome, reason: str, now: datetime
) -> HistoryEntry:
    """A signal that changed nothing (duplicate, stale, refused, parked...)."""
    return HistoryEntry(
        order_id=order.id,
        trigger=signal.trigger.value,
        from_state=order.state,
        to_state=order.state,
        outcome=outcome,
        origin=signal.source,
        recorded_at=now,
        event_id=signal.event_id,
        event_type=signal.event_type,
        reason=reason,
        dr_time=to_db_time(signal.dr_time),
    )


def step_entries(
    order: OrderRecord, signal: Signal, steps: Sequence[Applied], now: datetime
) -> list[HistoryEntry]:
    """One applied entry per step the signal walked."""
    dr_time = to_db_time(signal.dr_time)
    return [
        HistoryEntry(
            order_id=order.id,
            trigger=step.trigger.value,
            from_state=step.source,
            to_state=step.dest,
            outcome=Outcome.APPLIED,
            origin=signal.source,
            recorded_at=now,
            event_id=signal.event_id,
            event_type=signal.event_type,
            step=index,
            dr_time=dr_time,
        )
        for index, step in enumerate(steps)
    ]


def pending_effect(
    order: OrderRecord, signal: Signal, intent: EffectIntent, now: datetime
) -> PendingEffect:
    """The outbox row of one intent, its payload built from the newest DR snapshot."""
    snapshot = signal.snapshot if signal.facts.dr_state is not None else order.snapshot
    return PendingEffect(
        order_id=order.id,
        effect=intent.name,
        idempotency_key=effect_key(order.upstream_id, intent, signal.event_id),
        payload=effect_payload(
            intent.name,
            snapshot,
            upstream_id=order.upstream_id,
            dr_order_id=order.dr_order_id,
            customer_message=signal.customer_message,
            report=signal.facts.report,
        ),
        created_at=now,
    )
