"""Pure rules the engine applies around the machine: staleness, facts, effect keys.

Each is a function of plain values, so it is property-tested without a
database (tests/property/test_rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from orderfsm.fsm.effects import EffectIntent, EffectName
from orderfsm.fsm.items import ItemTally, cancel_everything_open, ledger
from orderfsm.fsm.lifecycle import LIFECYCLE, Lifecycle
from orderfsm.fsm.machine import Refusal
from orderfsm.fsm.outcomes import Outcome
from orderfsm.fsm.signals import ChargeFact, Facts, Signal
from orderfsm.fsm.states import OrderState, Trigger

OUTCOME_OF_REFUSAL: Mapping[Refusal, Outcome] = {
    Refusal.TERMINAL: Outcome.TERMINAL,
    Refusal.STALE: Outcome.STALE,
    Refusal.NO_SUCH_EDGE: Outcome.REFUSED,
    Refusal.GUARD_FAILED: Outcome.REFUSED,
    Refusal.NO_PATH: Outcome.REFUSED,
}
"""How the history records each reason the machine refuses a trigger for."""


def dispute_triggers(lifecycle: Lifecycle = LIFECYCLE) -> frozenset[Trigger]:
    """The triggers whose edges set or clear the dispute flag, read from the table."""
    return frozenset(edge.trigger for edge in lifecycle.edges() if edge.disputed is not None)


DISPUTE_TRIGGERS = dispute_triggers()
"""Triggers that change the dispute flag (``order.dispute``, ``order.dispute.resolved``)."""

STALE_DISPUTE_REASON = "a later dispute change was applied"


def is_stale_dispute_change(
    trigger: Trigger, dr_time: datetime | None, dispute_changed_at: datetime | None
) -> bool:
    """True when a dispute change is older (DR time) than the one already applied.

    The flag has no state order to judge by, so DR's clock decides; a signal
    without a DR time, or an order whose flag never changed, is not stale.
    """
    return (
        trigger in DISPUTE_TRIGGERS
        and dr_time is not None
        and dispute_changed_at is not None
        and dr_time < dispute_changed_at
    )


@dataclass(frozen=True, slots=True)
class DrKnowledge:
    """What an order knows of DR beyond its lifecycle state."""

    dr_order_id: str | None
    checkout_id: str | None
    fraud_state: str | None
    charges: tuple[ChargeFact, ...]
    dispute_changed_at: datetime | None
    dr_time: datetime | None
    """DR's time of the newest signal absorbed."""
    snapshot: Mapping[str, Any] | None


def absorb(known: DrKnowledge, signal: Signal, dr_time: datetime | None) -> DrKnowledge:
    """``known`` updated with an applied signal's news, never rolled back by older news.

    Ids are only ever filled in. An order snapshot dated before the newest
    snapshot absorbed still moves the state (the machine decided that) but
    leaves the snapshot and fraud state alone: they describe a later DR
    order. Each charge keeps the DR time of its own news, so a charge event
    and an order snapshot are judged apart: a charge event that overtook an
    older snapshot (``order.charge.cancel.complete`` applied before
    ``order.blocked``) keeps its charge, and the snapshot still brings the
    fraud state. ``dr_time`` is the signal's DR time (``None``: undated, taken).
    """
    disputed_at = known.dispute_changed_at
    if signal.trigger in DISPUTE_TRIGGERS:
        disputed_at = dr_time or disputed_at
    snapshot, fraud_state, charges = known.snapshot, known.fraud_state, known.charges
    snapshot_time = known.dr_time
    if signal.facts.dr_state is not None and _not_older(dr_time, known.dr_time):
        snapshot, fraud_state = signal.snapshot, signal.facts.fraud_state
        charges = _merge_charges(charges, signal.facts.charges, dr_time, known.dr_time)
        snapshot_time = dr_time if dr_time is not None else known.dr_time
    if signal.charge is not None:
        charges = _merge_charges(charges, (signal.charge,), dr_time, known.dr_time, whole=False)
    return DrKnowledge(
        dr_order_id=_fill(known.dr_order_id, signal.dr_order_id),
        checkout_id=_fill(known.checkout_id, signal.checkout_id),
        fraud_state=fraud_state,
        charges=charges,
        dispute_changed_at=disputed_at,
        dr_time=snapshot_time,
        snapshot=snapshot,
    )


def _not_older(told: datetime | None, known: datetime | None) -> bool:
    """Whether news dated ``told`` may replace what ``known`` dates (undated: yes)."""
    return told is None or known is None or told >= known


def _merge_charges(
    known: tuple[ChargeFact, ...],
    told: tuple[ChargeFact, ...],
    dr_time: datetime | None,
    floor: datetime | None,
    *,
    whole: bool = True,
) -> tuple[ChargeFact, ...]:
    """``known`` charges with ``told`` ones (dated ``dr_time``) taken where not older.

    A known charge is as new as its own news (``as_of``) and at least as new
    as the snapshot absorbed (``floor``): a snapshot that did not list it
    vouches for it too. ``whole``: ``told`` is every charge of a snapshot, so
    a known charge it lacks stays only if its own news is newer.
    """
    by_id = {c.id: c for c in known}

    def dated(charge: ChargeFact | None) -> datetime | None:
        times = [t for t in (charge.as_of if charge else None, floor) if t is not None]
        return max(times) if times else None

    merged = (
        dict(by_id) if not whole else {c.id: c for c in known if not _not_older(dr_time, c.as_of)}
    )
    for charge in told:
        held = by_id.get(charge.id)
        if _not_older(dr_time, dated(held)):
            merged[charge.id] = replace(charge, as_of=dr_time)
        elif held is not None:
            merged[charge.id] = held
    return tuple(merged.values())


def _fill(known: str | None, told: str | None) -> str | None:
    return known if known is not None else (told or None)


def effect_key(upstream_id: str, intent: EffectIntent, event_id: str | None) -> str:
    """The idempotency key of an effect intent: the same whoever applies it, and when.

    Entering a state happens once per order, so ``upstream:state:effect``
    names it; an internal transition may happen again with a new event, so
    ``upstream:trigger:event id:effect``.
    """
    if intent.entered is not None:
        return f"{upstream_id}:{intent.entered.value}:{intent.name.value}"
    return f"{upstream_id}:{intent.trigger.value}:{event_id}:{intent.name.value}"


def overdue_key(upstream_id: str, state: OrderState, since: datetime, effect: EffectName) -> str:
    """The idempotency key of an overdue order's effect: one per stay in a state.

    ``since`` is when the order entered ``state``: a second scan finds the
    same key (nothing added); an order that moves on and waits too long in
    its next state gets a new one.
    """
    moment = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return f"{upstream_id}:{state.value}:overdue:{moment}:{effect.value}"


def facts_for_report(
    facts: Facts, ordered: tuple[tuple[str, int], ...], tallies: tuple[ItemTally, ...]
) -> Facts:
    """A platform report's facts with the order's items as they stand (what its guard judges).

    A full cancellation becomes, here under the order's lock, the
    cancellation of whatever is open of each item.
    """
    lines = ledger(ordered, tallies)
    report = facts.report
    if report is not None and report.cancel_all:
        report = replace(report, items=cancel_everything_open(lines))
    return replace(facts, ledger=lines, report=report)
