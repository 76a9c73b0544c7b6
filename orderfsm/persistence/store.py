"""The storage interface the service talks to: frozen records in and out.

:class:`~orderfsm.persistence.repository.Repository` implements it on one
SQL transaction; :class:`~orderfsm.persistence.write_behind.WriteBehind`
wraps one to hold a batch's writes. Both give the same answers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from orderfsm.fsm.refs import Identity, OrderRefs
from orderfsm.persistence.records import (
    HistoryEntry,
    NewOrder,
    OrderRecord,
    OrderView,
    ParkedSignal,
    PendingEffect,
)


class Store(Protocol):
    """Reads and writes of one transaction (see docs/architecture.md for the locks)."""

    def find_order(self, refs: OrderRefs, *, lock: bool = True) -> OrderRecord | None:
        """The order found by the first known part of ``refs`` that matches one."""

    def find_order_and_seen(
        self, refs: OrderRefs, event_id: str
    ) -> tuple[OrderRecord | None, bool]:
        """:meth:`find_order` (locked), then :meth:`event_seen`; one round trip where it can."""

    def lock_identities(self, identities: Collection[Identity], *, wait: bool) -> bool:
        """Hold a lock per identity until the transaction ends; False: one was taken."""

    def insert_order(self, order: NewOrder) -> OrderRecord:
        """Create an order and return it."""

    def save_order(self, order: OrderRecord) -> None:
        """Write ``order`` (version bumped by :meth:`OrderRecord.evolved`) over the one read."""

    def event_seen(self, event_id: str) -> bool:
        """True when this DR event was already applied, refused or parked."""

    def add_history(self, entries: Sequence[HistoryEntry]) -> None:
        """Append history entries."""

    def enqueue_effects(self, effects: Sequence[PendingEffect]) -> None:
        """Add effect intents; a key already present is left alone (exactly once)."""

    def park(self, parked: ParkedSignal) -> None:
        """Keep an event for an order not known yet."""

    def take_parked(self, refs: OrderRefs) -> list[ParkedSignal]:
        """Remove and return the events parked under any part of ``refs``, oldest first."""

    def parked_event_types(self, refs: OrderRefs) -> list[str]:
        """Types of the events parked under any part of ``refs``, oldest first."""

    def view(self, order: OrderRecord) -> OrderView:
        """The order with its history and effects."""

    def orders_after(self, after_id: int, limit: int) -> list[OrderRecord]:
        """Up to ``limit`` orders with an id above ``after_id``, oldest first."""
