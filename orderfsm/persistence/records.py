"""The frozen values that cross the storage boundary, in and out (no ORM, no dict rows).

The service builds them and the store turns them into rows (and back) in
:mod:`orderfsm.persistence.rows`, the one place that knows column names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.items import ItemLedger, ItemTally
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.rules import DrKnowledge
from orderfsm.fsm.signals import ChargeFact
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.tables import EffectStatus


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One stored order as read (or as it is to be written back)."""

    id: int
    upstream_id: str
    checkout_id: str | None
    dr_order_id: str | None
    state: OrderState
    fraud_state: str | None
    charges: tuple[ChargeFact, ...]
    disputed: bool
    dispute_changed_at: datetime | None
    dr_time: datetime | None
    snapshot: Mapping[str, Any] | None
    version: int
    """Bumped by every save; a save of an older version is refused."""
    created_at: datetime
    updated_at: datetime
    tallies: tuple[ItemTally, ...] = ()
    """What the platform reported shipped or cancelled, per item id."""

    @property
    def refs(self) -> OrderRefs:
        """Every id other transactions can find this order by."""
        return OrderRefs(self.dr_order_id, self.checkout_id, self.upstream_id)

    @property
    def known(self) -> DrKnowledge:
        """What the order knows of DR besides its state."""
        return DrKnowledge(
            dr_order_id=self.dr_order_id,
            checkout_id=self.checkout_id,
            fraud_state=self.fraud_state,
            charges=self.charges,
            dispute_changed_at=self.dispute_changed_at,
            dr_time=self.dr_time,
            snapshot=self.snapshot,
        )

    def evolved(
        self,
        state: OrderState,
        disputed: bool,
        known: DrKnowledge,
        *,
        now: datetime,
        tallies: tuple[ItemTally, ...] | None = None,
    ) -> OrderRecord:
        """This order after a change, one version on (what a save writes).

        ``tallies`` replaces the reported quantities (``None``: unchanged).
        """
        return OrderRecord(
            id=self.id,
            upstream_id=self.upstream_id,
            checkout_id=known.checkout_id,
            dr_order_id=known.dr_order_id,
            state=state,
            fraud_state=known.fraud_state,
            charges=known.charges,
            disputed=disputed,
            dispute_changed_at=known.dispute_changed_at,
            dr_time=known.dr_time,
            snapshot=known.snapshot,
            version=self.version + 1,
            created_at=self.created_at,
            updated_at=now,
            tallies=self.tallies if tallies is None else tallies,
        )


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order to create, in the lifecycle's initial state."""

    upstream_id: str
    checkout_id: str | None
    dr_order_id: str | None
    state: OrderState
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of an order's history: what one signal (or one step of a walk) did."""

    order_id: int
    trigger: str
    """The trigger's value, or ``submit`` / ``adopt`` for an order's creation."""
    from_state: OrderState | None
    to_state: OrderState | None
    outcome: Outcome
    origin: SignalOrigin
    recorded_at: datetime
    event_id: str | None = None
    event_type: str | None = None
    reason: str | None = None
    step: int = 0
    """Position in a walk (0: the signal's first, deciding row)."""
    dr_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PendingEffect:
    """An effect intent to put in the outbox (pending, never attempted)."""

    order_id: int
    effect: EffectName
    idempotency_key: str
    payload: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ParkedSignal:
    """A DR event kept until its order is known, as received."""

    event_id: str
    event_type: str
    refs: OrderRefs
    dr_time: datetime | None
    body: str
    parked_at: datetime


NO_HANDLER = "no handler registered"
"""The ``last_error`` of a pending, never attempted row a dispatcher found no handler for.

Written without counting an attempt (:func:`mark_unhandled`), cleared when a
dispatcher with the handler claims the row, so ``orderfsm effects`` and
``show`` can tell such a row from ordinary backlog."""


@dataclass(frozen=True, slots=True)
class EffectEntry:
    """One outbox row, as read back."""

    type: str
    key: str
    status: str
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None = None
    """When a pending or failed effect is due (again); kept on done and dead rows too."""

    @property
    def never_attempted(self) -> bool:
        """Pending and never claimed by a dispatcher (no worker ran, or none took it yet)."""
        return self.status == EffectStatus.PENDING and self.attempts == 0

    @property
    def no_handler(self) -> bool:
        """Never attempted, and the last dispatcher that looked had no handler for it."""
        return self.never_attempted and self.last_error == NO_HANDLER

    @property
    def handled(self) -> bool:
        """A handler finished it (the outbox marked it done)."""
        return self.status == EffectStatus.DONE


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order with its history and effects: what ``orderfsm show`` prints."""

    upstream_id: str
    order_id: str | None
    checkout_id: str | None
    state: str
    fraud_state: str | None
    disputed: bool
    charges: list[dict[str, Any]]
    history: list[HistoryEntry] = field(default_factory=list)
    effects: list[EffectEntry] = field(default_factory=list)
    items: tuple[ItemLedger, ...] = ()
    """Each ordered item: ordered, fulfilled and cancelled (the service fills it in)."""

    def to_json(self) -> dict[str, Any]:
        """The fixed ``show --json`` shape (keys are public)."""
        return {
            "upstreamId": self.upstream_id,
            "orderId": self.order_id,
            "checkoutId": self.checkout_id,
            "state": self.state,
            "fraudState": self.fraud_state,
            "disputed": self.disputed,
            "charges": [{"id": c.get("id"), "state": c.get("state")} for c in self.charges],
            "history": [
                {
                    "trigger": h.trigger,
                    "from": h.from_state,
                    "to": h.to_state,
                    "outcome": h.outcome,
                    "eventId": h.event_id,
                    "reason": h.reason,
                    "recordedAt": iso_utc(h.recorded_at),
                    "drTime": iso_utc(h.dr_time),
                }
                for h in self.history
            ],
            "effects": [
                {
                    "type": e.type,
                    "key": e.key,
                    "status": e.status,
                    "payload": e.payload,
                    "attempts": e.attempts,
                    "lastError": e.last_error,
                    "nextAttemptAt": iso_utc(e.next_attempt_at),
                    "handled": e.handled,
                    "noHandler": e.no_handler,
                }
                for e in self.effects
            ],
            "items": [
                {
                    "itemId": i.item_id,
                    "quantity": i.ordered,
                    "fulfilled": i.fulfilled,
                    "cancelled": i.cancelled,
                }
                for i in self.items
            ],
        }


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (a naive time, as SQLite gives back, is UTC already)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()
