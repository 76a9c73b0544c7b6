"""Applying one unit of work through a store: the lifecycle's use case.

:meth:`Applier.run` finds and locks the order, deduplicates by event id
(after the lock, so a concurrent delivery of the same event waits and then
sees it), asks the machine, and writes the new order, its history and its
effect intents through the store, or parks the event. It answers a value:
the result, the error meant for the caller (written before anything was
written), or a :class:`~orderfsm.persistence.Collision` to run it again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import cache

from orderfsm.adapters.digitalriver import signal_from_body
from orderfsm.adapters.digitalriver.effect_payloads import ordered_quantities
from orderfsm.errors import OrderConflict, OrderNotFound
from orderfsm.fsm.items import tallied
from orderfsm.fsm.machine import Applied, InMemoryOrder, LifecycleMachine, Refusal, Refused
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.refs import Identity, OrderRefs
from orderfsm.fsm.rules import (
    OUTCOME_OF_REFUSAL,
    STALE_DISPUTE_REASON,
    absorb,
    facts_for_report,
    is_stale_dispute_change,
)
from orderfsm.fsm.signals import NotRelevant, Signal
from orderfsm.fsm.states import Trigger
from orderfsm.persistence import Collision, Store
from orderfsm.persistence.database import to_db_time, utcnow
from orderfsm.persistence.records import NewOrder, OrderRecord
from orderfsm.service.parking import ATTACHED_REASON, adopt, park
from orderfsm.service.preparing import SignalUnit, SubmitUnit, Unit
from orderfsm.service.results import Answer, ApplyResult, EngineConfig
from orderfsm.service.writes import (
    SUBMITTED,
    creation_entry,
    pending_effect,
    signal_entry,
    step_entries,
)

DUPLICATE_REASON = "event already processed"
_NEVER_PARKED = frozenset({SignalOrigin.CREATE_ORDER_RESPONSE, SignalOrigin.PLATFORM})
"""Signals that name an order the caller must know: an unknown one is an error, not parked."""
SUBMITTED_REASON = "already submitted"


@cache
def shared_machine() -> LifecycleMachine:
    """The process's one lifecycle machine, built on first use."""
    return LifecycleMachine()


class Applier:
    """Runs units of work on a store with one machine and one configuration."""

    def __init__(self, machine: LifecycleMachine, config: EngineConfig) -> None:
        self.machine = machine
        self.config = config

    def run(self, store: Store, unit: Unit) -> Answer | Collision:
        """Apply ``unit`` through ``store`` (one transaction's, or a batch's)."""
        now = utcnow()
        if isinstance(unit, SubmitUnit):
            return self._submit(store, unit, now)
        answer = self._apply(store, unit, now)
        if unit.redirect_url is not None and isinstance(answer, ApplyResult):
            return replace(answer, redirect_url=unit.redirect_url)
        return answer

    def _submit(self, store: Store, unit: SubmitUnit, now: datetime) -> Answer:
        # Two lookups, two statements: on PostgreSQL (READ COMMITTED) a
        # concurrent submit of this very order may commit between them,
        # so the checkout's order is judged by its upstream id too.
        upstream_id, checkout_id = unit.upstream_id, unit.checkout_id
        existing = store.find_order(OrderRefs(upstream_id=upstream_id)) or (
            store.find_order(OrderRefs(checkout_id=checkout_id))
        )
        if existing is not None:
            if existing.upstream_id != upstream_id:
                return OrderConflict(
                    f"checkout {checkout_id!r} already belongs to upstream id "
                    f"{existing.upstream_id!r}"
                )
            if existing.checkout_id != checkout_id:
                return OrderConflict(
                    f"upstream id {upstream_id!r} is bound to checkout "
                    f"{existing.checkout_id!r}, not {checkout_id!r}"
                )
            return ApplyResult(
                Outcome.DUPLICATE, upstream_id, existing.state, reason=SUBMITTED_REASON
            )
        order = store.insert_order(
            NewOrder(upstream_id, checkout_id, None, self.machine.initial, created_at=now)
        )
        store.add_history([creation_entry(order, SUBMITTED, SignalOrigin.SUBMIT, now)])
        self.attach_parked(store, order, now, frozenset())
        return ApplyResult(Outcome.APPLIED, upstream_id, order.state)

    def _apply(self, store: Store, unit: SignalUnit, now: datetime) -> Answer | Collision:
        signal = unit.signal
        # Lock the order before the duplicate check: a concurrent delivery of
        # the same event then waits here and sees the first one's history.
        if signal.event_id is None:
            order, seen = store.find_order(signal.refs), False
        else:
            order, seen = store.find_order_and_seen(signal.refs, signal.event_id)
        if seen:
            if order is not None:
                entry = signal_entry(order, signal, Outcome.DUPLICATE, DUPLICATE_REASON, now)
                store.add_history([entry])
            return ApplyResult(
                Outcome.DUPLICATE,
                order.upstream_id if order else None,
                order.state if order else None,
                reason=DUPLICATE_REASON,
                trigger=signal.trigger,
            )
        findable: frozenset[Identity] = frozenset()
        if order is None:
            if signal.source in _NEVER_PARKED:
                return OrderNotFound(signal.upstream_id or "?")
            if not (self.config.adopt_dr_orders and signal.trigger is Trigger.LINK_DR_ORDER):
                return park(store, signal, unit.raw_body, now)
            order = adopt(store, signal, self.machine.initial, now)
        else:
            findable = order.refs.identities()
        order, result = self.apply_to(store, order, signal, now)
        self.attach_parked(store, order, now, findable)
        return result

    def apply_to(
        self, store: Store, order: OrderRecord, signal: Signal, now: datetime
    ) -> tuple[OrderRecord, ApplyResult]:
        """Let the machine judge ``signal`` on ``order`` and write what it decided."""
        dr_time = to_db_time(signal.dr_time)
        if signal.facts.report is not None:
            facts = facts_for_report(
                signal.facts, ordered_quantities(order.snapshot), order.tallies
            )
            signal = replace(signal, facts=facts)
        position = InMemoryOrder(order.state, order.disputed)
        fired: tuple[Applied, ...] | Refused
        if is_stale_dispute_change(signal.trigger, dr_time, order.dispute_changed_at):
            fired = Refused(signal.trigger, order.state, Refusal.STALE, STALE_DISPUTE_REASON)
        else:
            fired = self.machine.advance(position, signal.trigger, signal.facts)
        if isinstance(fired, Refused):
            outcome = OUTCOME_OF_REFUSAL[fired.refusal]
            store.add_history([signal_entry(order, signal, outcome, fired.reason, now)])
            result = ApplyResult(
                outcome, order.upstream_id, order.state, reason=fired.reason, trigger=signal.trigger
            )
            return order, result
        known = absorb(order.known, signal, dr_time)
        report = signal.facts.report
        tallies = tallied(order.tallies, report) if report is not None else None
        changed = order.evolved(position.state, position.disputed, known, now=now, tallies=tallies)
        store.save_order(changed)
        store.add_history(step_entries(changed, signal, fired, now))
        effects = [
            pending_effect(changed, signal, intent, now)
            for step in fired
            for intent in step.effects
        ]
        store.enqueue_effects(effects)
        return changed, ApplyResult(
            Outcome.APPLIED,
            changed.upstream_id,
            changed.state,
            steps=fired,
            effect_keys=tuple(effect.idempotency_key for effect in effects),
            trigger=signal.trigger,
        )

    def attach_parked(
        self, store: Store, order: OrderRecord, now: datetime, findable: frozenset[Identity]
    ) -> None:
        """Apply the events parked for ``order`` under the ids it gained in this transaction.

        ``findable`` are the ids other transactions could already find the
        order by; no event was parked under those (see :func:`~orderfsm.
        service.parking.park`). Each id is locked (waiting) *before* its
        parked events are taken.
        """
        while True:
            fresh = order.refs.identities() - findable
            if not fresh:
                return
            store.lock_identities(fresh, wait=True)
            findable |= fresh
            for parked in store.take_parked(OrderRefs.of(fresh)):
                signal = signal_from_body(parked.body)
                if isinstance(signal, NotRelevant):  # pragma: no cover - never parked
                    continue
                entry = signal_entry(
                    order, signal, Outcome.PARKED, ATTACHED_REASON, parked.parked_at
                )
                store.add_history([entry])
                order, _ = self.apply_to(store, order, signal, now)
