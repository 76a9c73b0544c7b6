"""The store of one SQL transaction, in SQLAlchemy Core on the SQLModel tables.

Core rather than the ORM session: the engine's hot path is a handful of
statements per event, and an identity map would only cost time there. The
statements are prebuilt (:mod:`orderfsm.persistence.statements`); rows are
turned into records in :mod:`orderfsm.persistence.rows`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

from sqlalchemy import BigInteger, ColumnElement, Connection, Text, bindparam, cast, func, select

from orderfsm.fsm.refs import Identity, OrderRefs, RefKind
from orderfsm.persistence import driver
from orderfsm.persistence import statements as sql
from orderfsm.persistence.contention import VersionConflict
from orderfsm.persistence.records import (
    EffectEntry,
    HistoryEntry,
    NewOrder,
    OrderRecord,
    OrderView,
    ParkedSignal,
    PendingEffect,
)
from orderfsm.persistence.rows import (
    HistoryValues,
    OrderUpdate,
    OutboxValues,
    charge_states,
    created_record,
    effect_entry,
    history_entry,
    history_values,
    new_order_values,
    order_record,
    order_update,
    outbox_values,
    parked_refs,
    parked_signal,
    parked_values,
)
from orderfsm.persistence.tables import ORDERS, OUTBOX

__all__ = ["ORDERS", "OUTBOX", "Repository"]

_HISTORY_COLUMNS = tuple(HistoryValues.__annotations__)
_OUTBOX_COLUMNS = tuple(OutboxValues.__annotations__)


class Repository:
    """Every statement the service runs, bound to one connection and its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self._run = driver.Runner(connection)

    # -- orders --------------------------------------------------------------

    def find_order(self, refs: OrderRefs, *, lock: bool = True) -> OrderRecord | None:
        """The order found by the first known part of ``refs`` that matches one."""
        for kind, value in refs.known():
            found = self.find_one(kind, value, lock=lock)
            if found is not None:
                return found
        return None

    def find_one(self, kind: RefKind, value: str, *, lock: bool) -> OrderRecord | None:
        """The order whose reference of ``kind`` is ``value``."""
        form = self._run.compiled(sql.FIND_ORDER[kind, lock])
        found = self._run.fetch_one(form, {"value": value})
        return None if found is None else order_record(found)

    def find_order_and_seen(
        self, refs: OrderRefs, event_id: str
    ) -> tuple[OrderRecord | None, bool]:
        """:meth:`find_order` (locked) and :meth:`event_seen`, as if asked in that order.

        One statement answers both when the order is found and not locked by
        another transaction (``statements.FIND_ORDER_SEEN``); otherwise the
        two are asked apart, the lock waited for first.
        """
        for kind, value in refs.known():
            form = self._run.compiled(sql.FIND_ORDER_SEEN[kind])
            params = {"value": value, "event_id": event_id}
            found = self._run.fetch_one(form, params)
            if found is not None:
                return order_record(found), bool(found["event_seen"])
        return self.find_order(refs), self.event_seen(event_id)

    def find_many(self, kind: RefKind, values: list[str]) -> list[OrderRecord]:
        """The orders (locked) whose reference of ``kind`` is among ``values``."""
        rows = self.connection.execute(sql.FIND_ORDERS[kind], {"values": values}).mappings()
        return [order_record(row) for row in rows]

    def lock_identities(self, identities: Collection[Identity], *, wait: bool) -> bool:
        """Hold, until this transaction ends, a lock on each way of finding an order.

        PostgreSQL: transaction-level advisory locks, one per identity and
        schema (advisory locks are the server's: orders of another schema
        with the same ids must not collide), taken in a fixed order; with
        ``wait=False`` none is waited for, and False means another
        transaction holds one. SQLite needs none: ``BEGIN IMMEDIATE`` already
        lets one writer in at a time. Parking an event and attaching parked
        events to an order that just became findable both hold these locks,
        so neither can miss the other (docs/architecture.md).
        """
        if not self.uses_identity_locks:
            return True
        for key in sorted(_lock_key(identity) for identity in identities):
            if wait:
                self.connection.execute(_LOCK, {"key": key})
            elif not self.connection.execute(_TRY_LOCK, {"key": key}).scalar():
                return False
        return True

    @property
    def uses_identity_locks(self) -> bool:
        """True where other transactions commit while this one runs (PostgreSQL)."""
        return self.dialect == "postgresql"

    def insert_order(self, order: NewOrder) -> OrderRecord:
        """Create an order and return it."""
        inserted = self.connection.execute(sql.INSERT_ORDER, new_order_values(order))
        new_id = inserted.inserted_primary_key
        assert new_id is not None
        return created_record(int(new_id[0]), order)

    def save_order(self, order: OrderRecord) -> None:
        """Write ``order`` back if nobody changed it since it was read."""
        # One set of parameters, not a list of one: executemany costs more.
        update = order_update(order, read_version=order.version - 1)
        form = self._run.compiled(sql.SAVE_ORDER)
        if self._run.changed(form, update) != 1:
            raise VersionConflict(f"order {order.upstream_id} changed concurrently")

    def save_orders(self, updates: Sequence[OrderUpdate]) -> None:
        """Write orders back, each only where it still has the version read."""
        if not updates:
            return
        form = self._run.compiled(sql.SAVE_ORDER, many=True)
        cursor = self._run.execute_many(form, updates)
        changed = int(cursor.rowcount)
        cursor.close()
        if changed != len(updates):
            raise VersionConflict("an order changed concurrently")

    # -- history and deduplication -------------------------------------------

    def event_seen(self, event_id: str) -> bool:
        """True when this DR event was already applied, refused or parked."""
        form = self._run.compiled(sql.EVENT_SEEN)
        found = self._run.fetch_one(form, {"event_id": event_id})
        return found is not None and bool(found["event_seen"])

    def events_seen(self, event_ids: Collection[str]) -> set[str]:
        """Which of ``event_ids`` :meth:`event_seen` would answer True for (one statement)."""
        if not event_ids:
            return set()
        found = self.connection.execute(sql.EVENTS_SEEN, {"event_ids": list(event_ids)})
        return {row[0] for row in found}

    def add_history(self, entries: Sequence[HistoryEntry]) -> None:
        """Append history entries."""
        if entries:
            form = self._run.compiled(sql.INSERT_HISTORY, column_keys=_HISTORY_COLUMNS, many=True)
            self._run.write(form, [history_values(e) for e in entries])

    def history(self, order_id: int) -> list[HistoryEntry]:
        """An order's history in the order it was recorded."""
        rows = self.connection.execute(sql.HISTORY_OF, {"order_id": order_id}).mappings()
        return [history_entry(row) for row in rows]

    # -- outbox --------------------------------------------------------------

    def enqueue_effects(self, effects: Sequence[PendingEffect]) -> None:
        """Add effect intents; a key already present is left alone (exactly once)."""
        if effects:
            enqueue = sql.ENQUEUE[self.dialect]
            form = self._run.compiled(enqueue, column_keys=_OUTBOX_COLUMNS, many=True)
            self._run.write(form, [outbox_values(effect) for effect in effects])

    def effects(self, order_id: int) -> list[EffectEntry]:
        """An order's outbox rows in the order they were enqueued."""
        rows = self.connection.execute(sql.EFFECTS_OF, {"order_id": order_id}).mappings()
        return [effect_entry(row) for row in rows]

    # -- parked signals ------------------------------------------------------

    def park(self, parked: ParkedSignal) -> None:
        """Keep an event for an order not known yet."""
        self.connection.execute(sql.PARK, parked_values(parked))

    def take_parked(self, refs: OrderRefs) -> list[ParkedSignal]:
        """Remove and return the events parked under any part of ``refs``, oldest first."""
        if not refs.identities():
            return []
        found = self._run.fetch_all(self._run.compiled(sql.PARKED_FOR), _refs_params(refs))
        if found:
            self.connection.execute(sql.UNPARK, {"ids": [row["id"] for row in found]})
        return [parked_signal(row) for row in found]

    def parked_refs(self, kind: RefKind, values: list[str]) -> list[OrderRefs]:
        """The ids of the events parked under any of ``values`` (references of ``kind``)."""
        rows = self.connection.execute(sql.PARKED_REFS_IN[kind], {"values": values}).mappings()
        return [parked_refs(row) for row in rows]

    def parked_event_types(self, refs: OrderRefs) -> list[str]:
        """Types of the events parked under any part of ``refs``, oldest first."""
        return list(self.connection.execute(sql.PARKED_TYPES_FOR, _refs_params(refs)).scalars())

    # -- reading -------------------------------------------------------------

    def view(self, order: OrderRecord) -> OrderView:
        """The order with its history and effects."""
        return OrderView(
            upstream_id=order.upstream_id,
            order_id=order.dr_order_id,
            checkout_id=order.checkout_id,
            state=order.state.value,
            fraud_state=order.fraud_state,
            disputed=order.disputed,
            charges=charge_states(order.charges),
            history=self.history(order.id),
            effects=self.effects(order.id),
        )

    def orders_after(self, after_id: int, limit: int) -> list[OrderRecord]:
        """Up to ``limit`` orders with an id above ``after_id``, oldest first."""
        rows = self.connection.execute(sql.ORDERS_AFTER, {"after": after_id, "limit": limit})
        return [order_record(row) for row in rows.mappings()]


def _refs_params(refs: OrderRefs) -> dict[str, str | None]:
    return {kind.value: refs.get(kind) for kind in RefKind}


def _lock_key(identity: Identity) -> int:
    """A stable signed 64-bit advisory lock key for ``identity``."""
    kind, value = identity
    digest = hashlib.blake2b(f"{kind.value}\x1f{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _in_schema(key: ColumnElement[int]) -> ColumnElement[int]:
    """``key`` XOR a hash of the connection's schema, computed by the server.

    Every transaction on one schema gets the same salt, so the fixed order
    of :meth:`Repository.lock_identities` holds within a schema.
    """
    salt = func.hashtextextended(cast(func.current_schema(), Text), 0, type_=BigInteger)
    return salt.op("#", return_type=BigInteger)(key)


_KEY = bindparam("key", type_=BigInteger)
_LOCK = select(func.pg_advisory_xact_lock(_in_schema(_KEY)))
"""Waits for the identity lock ``key`` of this schema (built once, like statements.py's)."""
_TRY_LOCK = select(func.pg_try_advisory_xact_lock(_in_schema(_KEY)))
"""Takes the identity lock ``key`` of this schema if it is free."""
