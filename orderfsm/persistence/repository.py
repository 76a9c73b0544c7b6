"""Reads and writes of one unit of work, in SQLAlchemy Core on the SQLModel tables.

Core rather than the ORM session: the engine's hot path is a handful of
statements per event, and an identity map would only cost time there. Every
statement is built once, at import, with bound parameters: building a Core
statement and computing its cache key cost more than running it on SQLite,
while a prebuilt statement finds its compiled form in SQLAlchemy's cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from orderfsm.fsm.states import OrderState
from orderfsm.persistence.records import EffectEntry, HistoryEntry, OrderRecord, OrderView
from orderfsm.persistence.tables import (
    HistoryRow,
    OrderRow,
    OutboxRow,
    Outcome,
    ParkedSignalRow,
)

ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
HISTORY: Table = HistoryRow.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
PARKED: Table = ParkedSignalRow.__table__  # type: ignore[attr-defined]

# The predicate of the partial index uq_order_history_event, written with
# literal values: with bound parameters (what ``not_in`` compiles to) SQLite
# cannot prove the query matches the index, nor can a generic PostgreSQL plan,
# and deduplication would scan the whole history for every event.
UNCOUNTED_OUTCOMES = frozenset({Outcome.DUPLICATE.value, Outcome.PARKED.value})
"""Outcomes of a history row that do not count as an event's one application."""
_FIRST_APPLICATION = text(
    "order_history.step = 0 AND order_history.outcome NOT IN "
    f"('{Outcome.DUPLICATE.value}', '{Outcome.PARKED.value}')"
)


def _find_by(column: Column[Any], *, lock: bool) -> Select[Any]:
    query = select(ORDERS).where(column == bindparam("value"))
    return query.with_for_update() if lock else query


def _set(column: Column[Any]) -> BindParameter[Any]:
    # Named apart from the columns: SQLAlchemy reserves a column's own name
    # for the parameters it generates itself in SET and VALUES clauses.
    return bindparam(f"new_{column.name}", type_=column.type)


_ID_COLUMNS = ("dr_order_id", "checkout_id", "upstream_id")
_FIND_ORDER = {
    (name, lock): _find_by(ORDERS.c[name], lock=lock)
    for name in _ID_COLUMNS
    for lock in (True, False)
}
_INSERT_ORDER = insert(ORDERS)
_SAVED_COLUMNS = (
    "checkout_id",
    "dr_order_id",
    "state",
    "fraud_state",
    "charges",
    "disputed",
    "dispute_changed_at",
    "dr_time",
    "snapshot",
    "version",
    "updated_at",
)
SAVE_ORDER = (  # parameters: order_update_params()
    update(ORDERS)
    .where(
        and_(ORDERS.c.id == bindparam("order_id"), ORDERS.c.version == bindparam("read_version"))
    )
    .values({name: _set(ORDERS.c[name]) for name in _SAVED_COLUMNS})
)
_EVENT_SEEN = select(
    or_(
        exists().where(and_(HISTORY.c.event_id == bindparam("event_id"), _FIRST_APPLICATION)),
        exists().where(PARKED.c.event_id == bindparam("event_id")),
    )
)
_EVENTS_SEEN = union(
    select(HISTORY.c.event_id).where(
        and_(HISTORY.c.event_id.in_(bindparam("event_ids", expanding=True)), _FIRST_APPLICATION)
    ),
    select(PARKED.c.event_id).where(PARKED.c.event_id.in_(bindparam("event_ids", expanding=True))),
)
_INSERT_HISTORY = insert(HISTORY)
_HISTORY_OF = (
    select(HISTORY).where(HISTORY.c.order_id == bindparam("order_id")).order_by(HISTORY.c.id)
)
_ENQUEUE = {
    "postgresql": postgresql.insert(OUTBOX).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    ),
    "sqlite": sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["idempotency_key"]),
}
_EFFECTS_OF = select(OUTBOX).where(OUTBOX.c.order_id == bindparam("order_id")).order_by(OUTBOX.c.id)
_PARK = insert(PARKED)
# An id the caller does not know is bound as NULL, and "= NULL" matches no row.
_PARKED_FOR = (
    select(PARKED)
    .where(
        or_(
            PARKED.c.dr_order_id == bindparam("dr_order_id"),
            PARKED.c.checkout_id == bindparam("checkout_id"),
            PARKED.c.upstream_id == bindparam("upstream_id"),
        )
    )
    .order_by(PARKED.c.dr_time, PARKED.c.id)
    .with_for_update()
)
_UNPARK = delete(PARKED).where(PARKED.c.id.in_(bindparam("ids", expanding=True)))
_ALL_ORDERS = select(ORDERS).order_by(ORDERS.c.id)


Identity = tuple[str, str]
"""One way to find an order: ``(column, value)``, e.g. ``("checkout_id", "CO1")``."""


class Contention(Exception):
    """Another transaction got in the way; the unit of work is run again from the start."""


class VersionConflict(Contention):
    """Another transaction changed the order first; the unit of work is retried."""


class Repository:
    """Every statement the engine runs, bound to one connection/transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._dialect = connection.dialect.name

    # -- orders --------------------------------------------------------------

    def find_order(
        self,
        *,
        dr_order_id: str | None = None,
        checkout_id: str | None = None,
        upstream_id: str | None = None,
        lock: bool = True,
    ) -> OrderRecord | None:
        """The order matching the first of the ids that matches (DR id, checkout, upstream)."""
        for column, value in zip(_ID_COLUMNS, (dr_order_id, checkout_id, upstream_id), strict=True):
            if value is None:
                continue
            query = _FIND_ORDER[column, lock]
            row = self.connection.execute(query, {"value": value}).mappings().first()
            if row is not None:
                return row_to_record(row)
        return None

    def lock_identities(self, identities: Collection[Identity], *, wait: bool) -> bool:
        """Hold, until this transaction ends, a lock on each way of finding an order.

        PostgreSQL: transaction-level advisory locks, one per identity, taken
        in a fixed order; with ``wait=False`` none is waited for, and False
        means another transaction holds one. SQLite needs none: ``BEGIN
        IMMEDIATE`` already lets one writer in at a time. Parking an event and
        attaching parked events to an order that just became findable both
        hold these locks, so neither can miss the other (docs/architecture.md).
        """
        if self._dialect != "postgresql":
            return True
        for key in sorted(_lock_key(identity) for identity in identities):
            if wait:
                self.connection.execute(select(func.pg_advisory_xact_lock(key)))
            elif not self.connection.execute(select(func.pg_try_advisory_xact_lock(key))).scalar():
                return False
        return True

    def find_by_ref(self, ref: str) -> OrderRecord | None:
        """An order by upstream id, DR order id or checkout id (no lock)."""
        return self.find_order(dr_order_id=ref, checkout_id=ref, upstream_id=ref, lock=False)

    def insert_order(
        self, *, upstream_id: str, checkout_id: str | None, state: OrderState, now: datetime
    ) -> OrderRecord:
        """Create an order in ``state`` and return it."""
        values: dict[str, Any] = {
            "upstream_id": upstream_id,
            "checkout_id": checkout_id,
            "state": state.value,
            "charges": [],
            "disputed": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        new_id = self.connection.execute(_INSERT_ORDER, values).inserted_primary_key
        assert new_id is not None
        return OrderRecord(
            id=int(new_id[0]),
            upstream_id=upstream_id,
            checkout_id=checkout_id,
            dr_order_id=None,
            state=state,
            fraud_state=None,
            charges=[],
            disputed=False,
            dispute_changed_at=None,
            dr_time=None,
            snapshot=None,
            version=1,
            created_at=now,
            updated_at=now,
        )

    def save_order(self, order: OrderRecord, now: datetime) -> None:
        """Write ``order`` back if nobody changed it since it was read."""
        params = order_update_params(
            order, read_version=order.version, version=order.version + 1, updated_at=now
        )
        result = self.connection.execute(SAVE_ORDER, params)
        if result.rowcount != 1:
            raise VersionConflict(f"order {order.upstream_id} changed concurrently")
        order.version += 1
        order.updated_at = now

    # -- history and deduplication -------------------------------------------

    def event_seen(self, event_id: str) -> bool:
        """True when this DR event was already applied, refused or parked."""
        return bool(self.connection.execute(_EVENT_SEEN, {"event_id": event_id}).scalar())

    def events_seen(self, event_ids: Collection[str]) -> set[str]:
        """Which of ``event_ids`` :meth:`event_seen` would answer True for (one statement)."""
        if not event_ids:
            return set()
        found = self.connection.execute(_EVENTS_SEEN, {"event_ids": list(event_ids)})
        return {row[0] for row in found}

    def add_history(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append history rows (dicts of ``order_history`` columns)."""
        if rows:
            self.connection.execute(_INSERT_HISTORY, list(rows))

    def history(self, order_id: int) -> list[HistoryEntry]:
        """An order's history in the order it was recorded."""
        rows = self.connection.execute(_HISTORY_OF, {"order_id": order_id}).mappings()
        return [
            HistoryEntry(
                trigger=r["trigger"],
                from_state=r["from_state"],
                to_state=r["to_state"],
                outcome=r["outcome"],
                event_id=r["event_id"],
                reason=r["reason"],
                event_type=r["event_type"],
                origin=r["origin"],
                step=r["step"],
                dr_time=r["dr_time"],
                recorded_at=r["recorded_at"],
            )
            for r in rows
        ]

    # -- outbox --------------------------------------------------------------

    def enqueue_effects(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add effect intents; a key already present is left alone (exactly once)."""
        if not rows:
            return
        self.connection.execute(_ENQUEUE[self._dialect], list(rows))

    def effects(self, order_id: int) -> list[EffectEntry]:
        """An order's outbox rows in the order they were enqueued."""
        rows = self.connection.execute(_EFFECTS_OF, {"order_id": order_id}).mappings()
        return [
            EffectEntry(
                type=r["effect"],
                key=r["idempotency_key"],
                status=r["status"],
                payload=r["payload"],
                attempts=r["attempts"],
                last_error=r["last_error"],
            )
            for r in rows
        ]

    # -- parked signals ------------------------------------------------------

    def park(self, values: dict[str, Any]) -> None:
        """Keep an event for an order not known yet."""
        self.connection.execute(_PARK, values)

    def take_parked(
        self, *, dr_order_id: str | None, checkout_id: str | None, upstream_id: str | None
    ) -> list[dict[str, Any]]:
        """Remove and return the parked events that belong to this order, oldest first."""
        if dr_order_id is None and checkout_id is None and upstream_id is None:
            return []
        found = self.connection.execute(
            _PARKED_FOR,
            {"dr_order_id": dr_order_id, "checkout_id": checkout_id, "upstream_id": upstream_id},
        )
        rows = [dict(r) for r in found.mappings()]
        if rows:
            self.connection.execute(_UNPARK, {"ids": [r["id"] for r in rows]})
        return rows

    def view(self, order: OrderRecord) -> OrderView:
        """The order with its history and effects."""
        return OrderView(
            upstream_id=order.upstream_id,
            order_id=order.dr_order_id,
            checkout_id=order.checkout_id,
            state=order.state.value,
            fraud_state=order.fraud_state,
            disputed=order.disputed,
            charges=list(order.charges),
            history=self.history(order.id),
            effects=self.effects(order.id),
        )

    def all_orders(self) -> Iterable[OrderRecord]:
        """Every order, oldest first (reports and the demo)."""
        for row in self.connection.execute(_ALL_ORDERS).mappings():
            yield row_to_record(row)


def _lock_key(identity: Identity) -> int:
    """A stable signed 64-bit advisory lock key for ``identity``."""
    digest = hashlib.blake2b("\x1f".join(identity).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def order_update_params(
    order: OrderRecord, *, read_version: int, version: int, updated_at: datetime
) -> dict[str, Any]:
    """Parameters of :data:`SAVE_ORDER`: write ``order`` where it still has ``read_version``."""
    return {
        "order_id": order.id,
        "read_version": read_version,
        "new_checkout_id": order.checkout_id,
        "new_dr_order_id": order.dr_order_id,
        "new_state": order.state.value,
        "new_fraud_state": order.fraud_state,
        "new_charges": order.charges,
        "new_disputed": order.disputed,
        "new_dispute_changed_at": order.dispute_changed_at,
        "new_dr_time": order.dr_time,
        "new_snapshot": order.snapshot,
        "new_version": version,
        "new_updated_at": updated_at,
    }


def row_to_record(row: Any) -> OrderRecord:
    """An ``orders`` row (a mapping) as an :class:`OrderRecord`."""
    return OrderRecord(
        id=row["id"],
        upstream_id=row["upstream_id"],
        checkout_id=row["checkout_id"],
        dr_order_id=row["dr_order_id"],
        state=OrderState(row["state"]),
        fraud_state=row["fraud_state"],
        charges=list(row["charges"] or []),
        disputed=bool(row["disputed"]),
        dispute_changed_at=row["dispute_changed_at"],
        dr_time=row["dr_time"],
        snapshot=row["snapshot"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
