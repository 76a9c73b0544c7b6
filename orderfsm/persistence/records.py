"""Plain values the repository hands the engine and readers (no ORM identity)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderfsm.fsm.states import OrderState


@dataclass(slots=True)
class OrderRecord:
    """One stored order, mutable while a unit of work changes it.

    It satisfies the machine's ``OrderLike`` protocol (``state``, ``disputed``),
    so the lifecycle machine fires directly on it.
    """

    id: int
    upstream_id: str
    checkout_id: str | None
    dr_order_id: str | None
    state: OrderState
    fraud_state: str | None
    charges: list[dict[str, Any]]
    disputed: bool
    dispute_changed_at: datetime | None
    dr_time: datetime | None
    snapshot: dict[str, Any] | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of an order's history, as read back."""

    trigger: str
    from_state: str | None
    to_state: str | None
    outcome: str
    event_id: str | None
    reason: str | None
    event_type: str | None
    origin: str
    step: int
    dr_time: datetime | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class EffectEntry:
    """One outbox row, as read back."""

    type: str
    key: str
    status: str
    payload: dict[str, Any]
    attempts: int
    last_error: str | None


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
                }
                for h in self.history
            ],
            "effects": [
                {"type": e.type, "key": e.key, "status": e.status, "payload": e.payload}
                for e in self.effects
            ],
        }
