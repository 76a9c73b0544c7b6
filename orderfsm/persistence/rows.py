"""Records to rows and back: the one place that spells the tables' column names.

Each table's values are a ``TypedDict`` whose keys are its columns
(tests/integration/test_rows.py checks them against the tables), so mypy
catches a record field or a column renamed on one side only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import RowMapping

from orderfsm.fsm.items import ItemTally
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.signals import ChargeFact
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.records import (
    EffectEntry,
    HistoryEntry,
    NewOrder,
    OrderRecord,
    ParkedSignal,
    PendingEffect,
)
from orderfsm.persistence.tables import EffectStatus


class OrderValues(TypedDict):
    """The columns of a new ``orders`` row."""

    upstream_id: str
    checkout_id: str | None
    dr_order_id: str | None
    state: str
    charges: list[dict[str, str]]
    disputed: bool
    version: int
    created_at: datetime
    updated_at: datetime


class OrderUpdate(TypedDict):
    """Parameters of the prebuilt order ``UPDATE`` (``new_`` + column, and the version read)."""

    order_id: int
    read_version: int
    new_checkout_id: str | None
    new_dr_order_id: str | None
    new_state: str
    new_fraud_state: str | None
    new_charges: list[dict[str, str]]
    new_disputed: bool
    new_dispute_changed_at: datetime | None
    new_dr_time: datetime | None
    new_snapshot: Mapping[str, Any] | None
    new_item_tallies: list[dict[str, Any]]
    new_version: int
    new_updated_at: datetime


SAVED_COLUMNS = tuple(key.removeprefix("new_") for key in OrderUpdate.__annotations__)[2:]
"""The ``orders`` columns a save writes."""


class HistoryValues(TypedDict):
    """The columns of an ``order_history`` row."""

    order_id: int
    event_id: str | None
    step: int
    trigger: str
    from_state: str | None
    to_state: str | None
    origin: str
    event_type: str | None
    dr_time: datetime | None
    recorded_at: datetime
    outcome: str
    reason: str | None


class OutboxValues(TypedDict):
    """The columns of a new ``outbox`` row."""

    order_id: int
    effect: str
    idempotency_key: str
    payload: Mapping[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime


class ParkedValues(TypedDict):
    """The columns of a ``parked_signals`` row."""

    event_id: str
    event_type: str
    dr_order_id: str | None
    checkout_id: str | None
    upstream_id: str | None
    dr_time: datetime | None
    body: str
    parked_at: datetime


def charges_json(charges: tuple[ChargeFact, ...]) -> list[dict[str, str]]:
    """Charges as the ``charges`` JSON column holds them (``asOf``: DR's time of the news)."""
    return [
        {"id": c.id, "state": c.state, "asOf": c.as_of.isoformat()}
        if c.as_of is not None
        else {"id": c.id, "state": c.state}
        for c in charges
    ]


def charge_states(charges: tuple[ChargeFact, ...]) -> list[dict[str, str]]:
    """Charges as an order's view shows them: id and state (``asOf`` is bookkeeping)."""
    return [{"id": c.id, "state": c.state} for c in charges]


def charge_fact(column: Mapping[str, Any]) -> ChargeFact:
    """One entry of the ``charges`` JSON column as a fact (rows before ``asOf``: undated)."""
    as_of = column.get("asOf")
    return ChargeFact(
        str(column.get("id")),
        str(column.get("state")),
        datetime.fromisoformat(as_of) if isinstance(as_of, str) else None,
    )


def tallies_json(tallies: tuple[ItemTally, ...]) -> list[dict[str, Any]]:
    """Reported quantities as the ``item_tallies`` JSON column holds them."""
    return [
        {"itemId": t.item_id, "fulfilled": t.fulfilled, "cancelled": t.cancelled} for t in tallies
    ]


def _tallies(stored: list[dict[str, Any]] | None) -> tuple[ItemTally, ...]:
    return tuple(
        ItemTally(t["itemId"], int(t.get("fulfilled", 0)), int(t.get("cancelled", 0)))
        for t in stored or ()
    )


def new_order_values(order: NewOrder) -> OrderValues:
    """The row of a new order."""
    return {
        "upstream_id": order.upstream_id,
        "checkout_id": order.checkout_id,
        "dr_order_id": order.dr_order_id,
        "state": order.state.value,
        "charges": [],
        "disputed": False,
        "version": 1,
        "created_at": order.created_at,
        "updated_at": order.created_at,
    }


def created_record(new_id: int, order: NewOrder) -> OrderRecord:
    """The record of an order just inserted from ``order``."""
    return OrderRecord(
        id=new_id,
        upstream_id=order.upstream_id,
        checkout_id=order.checkout_id,
        dr_order_id=order.dr_order_id,
        state=order.state,
        fraud_state=None,
        charges=(),
        disputed=False,
        dispute_changed_at=None,
        dr_time=None,
        snapshot=None,
        version=1,
        created_at=order.created_at,
        updated_at=order.created_at,
    )


def order_update(order: OrderRecord, *, read_version: int) -> OrderUpdate:
    """Write ``order`` (its version already bumped) where it still has ``read_version``."""
    return {
        "order_id": order.id,
        "read_version": read_version,
        "new_checkout_id": order.checkout_id,
        "new_dr_order_id": order.dr_order_id,
        "new_state": order.state.value,
        "new_fraud_state": order.fraud_state,
        "new_charges": charges_json(order.charges),
        "new_disputed": order.disputed,
        "new_dispute_changed_at": order.dispute_changed_at,
        "new_dr_time": order.dr_time,
        "new_snapshot": order.snapshot,
        "new_item_tallies": tallies_json(order.tallies),
        "new_version": order.version,
        "new_updated_at": order.updated_at,
    }


def order_record(row: RowMapping | Mapping[str, Any]) -> OrderRecord:
    """An ``orders`` row as a record."""
    return OrderRecord(
        id=row["id"],
        upstream_id=row["upstream_id"],
        checkout_id=row["checkout_id"],
        dr_order_id=row["dr_order_id"],
        state=OrderState(row["state"]),
        fraud_state=row["fraud_state"],
        charges=tuple(charge_fact(c) for c in row["charges"] or ()),
        disputed=bool(row["disputed"]),
        dispute_changed_at=row["dispute_changed_at"],
        dr_time=row["dr_time"],
        snapshot=row["snapshot"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        tallies=_tallies(row["item_tallies"]),
    )


def history_values(entry: HistoryEntry) -> HistoryValues:
    """The row of a history entry."""
    return {
        "order_id": entry.order_id,
        "event_id": entry.event_id,
        "step": entry.step,
        "trigger": entry.trigger,
        "from_state": None if entry.from_state is None else entry.from_state.value,
        "to_state": None if entry.to_state is None else entry.to_state.value,
        "origin": entry.origin.value,
        "event_type": entry.event_type,
        "dr_time": entry.dr_time,
        "recorded_at": entry.recorded_at,
        "outcome": entry.outcome.value,
        "reason": entry.reason,
    }


def history_entry(row: RowMapping) -> HistoryEntry:
    """An ``order_history`` row as an entry."""
    return HistoryEntry(
        order_id=row["order_id"],
        trigger=row["trigger"],
        from_state=None if row["from_state"] is None else OrderState(row["from_state"]),
        to_state=None if row["to_state"] is None else OrderState(row["to_state"]),
        outcome=Outcome(row["outcome"]),
        origin=SignalOrigin(row["origin"]),
        recorded_at=row["recorded_at"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        reason=row["reason"],
        step=row["step"],
        dr_time=row["dr_time"],
    )


def outbox_values(effect: PendingEffect) -> OutboxValues:
    """The row of a new effect intent: pending, due at once."""
    return {
        "order_id": effect.order_id,
        "effect": effect.effect.value,
        "idempotency_key": effect.idempotency_key,
        "payload": effect.payload,
        "status": EffectStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": effect.created_at,
        "created_at": effect.created_at,
        "updated_at": effect.created_at,
    }


def effect_entry(row: RowMapping) -> EffectEntry:
    """An ``outbox`` row as an entry."""
    return EffectEntry(
        type=row["effect"],
        key=row["idempotency_key"],
        status=row["status"],
        payload=row["payload"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
    )


def parked_values(parked: ParkedSignal) -> ParkedValues:
    """The row of a parked event."""
    return {
        "event_id": parked.event_id,
        "event_type": parked.event_type,
        "dr_order_id": parked.refs.dr_order_id,
        "checkout_id": parked.refs.checkout_id,
        "upstream_id": parked.refs.upstream_id,
        "dr_time": parked.dr_time,
        "body": parked.body,
        "parked_at": parked.parked_at,
    }


def parked_signal(row: RowMapping | Mapping[str, Any]) -> ParkedSignal:
    """A ``parked_signals`` row as a record."""
    return ParkedSignal(
        event_id=row["event_id"],
        event_type=row["event_type"],
        refs=parked_refs(row),
        dr_time=row["dr_time"],
        body=row["body"],
        parked_at=row["parked_at"],
    )


def parked_refs(row: RowMapping | Mapping[str, Any]) -> OrderRefs:
    """The ids a parked row waits under."""
    return OrderRefs(row["dr_order_id"], row["checkout_id"], row["upstream_id"])
