"""Reads and writes of one unit of work, in SQLAlchemy Core on the SQLModel tables.

Core rather than the ORM session: the engine's hot path is a handful of
statements per event, and an identity map would only cost time there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
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
_FIRST_APPLICATION = text(
    "order_history.step = 0 AND order_history.outcome NOT IN "
    f"('{Outcome.DUPLICATE.value}', '{Outcome.PARKED.value}')"
)


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
        for column, value in (
            (ORDERS.c.dr_order_id, dr_order_id),
            (ORDERS.c.checkout_id, checkout_id),
            (ORDERS.c.upstream_id, upstream_id),
        ):
            if value is None:
                continue
            query = select(ORDERS).where(column == value)
            if lock:
                query = query.with_for_update()
            row = self.connection.execute(query).mappings().first()
            if row is not None:
                return _record(row)
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
        new_id = self.connection.execute(insert(ORDERS).values(values)).inserted_primary_key
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
        result = self.connection.execute(
            update(ORDERS)
            .where(and_(ORDERS.c.id == order.id, ORDERS.c.version == order.version))
            .values(
                checkout_id=order.checkout_id,
                dr_order_id=order.dr_order_id,
                state=order.state.value,
                fraud_state=order.fraud_state,
                charges=order.charges,
                disputed=order.disputed,
                dispute_changed_at=order.dispute_changed_at,
                dr_time=order.dr_time,
                snapshot=order.snapshot,
                version=order.version + 1,
                updated_at=now,
            )
        )
        if result.rowcount != 1:
            raise VersionConflict(f"order {order.upstream_id} changed concurrently")
        order.version += 1
        order.updated_at = now

    # -- history and deduplication -------------------------------------------

    def event_seen(self, event_id: str) -> bool:
        """True when this DR event was already applied, refused or parked."""
        in_history = exists().where(and_(HISTORY.c.event_id == event_id, _FIRST_APPLICATION))
        in_parking = exists().where(PARKED.c.event_id == event_id)
        return bool(self.connection.execute(select(or_(in_history, in_parking))).scalar())

    def add_history(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append history rows (dicts of ``order_history`` columns)."""
        if rows:
            self.connection.execute(insert(HISTORY), list(rows))

    def history(self, order_id: int) -> list[HistoryEntry]:
        """An order's history in the order it was recorded."""
        rows = self.connection.execute(
            select(HISTORY).where(HISTORY.c.order_id == order_id).order_by(HISTORY.c.id)
        ).mappings()
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
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(OUTBOX).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
        self.connection.execute(statement, list(rows))

    def effects(self, order_id: int) -> list[EffectEntry]:
        """An order's outbox rows in the order they were enqueued."""
        rows = self.connection.execute(
            select(OUTBOX).where(OUTBOX.c.order_id == order_id).order_by(OUTBOX.c.id)
        ).mappings()
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
        self.connection.execute(insert(PARKED).values(values))

    def take_parked(
        self, *, dr_order_id: str | None, checkout_id: str | None, upstream_id: str | None
    ) -> list[dict[str, Any]]:
        """Remove and return the parked events that belong to this order, oldest first."""
        conditions = [
            column == value
            for column, value in (
                (PARKED.c.dr_order_id, dr_order_id),
                (PARKED.c.checkout_id, checkout_id),
                (PARKED.c.upstream_id, upstream_id),
            )
            if value is not None
        ]
        if not conditions:
            return []
        rows = [
            dict(r)
            for r in self.connection.execute(
                select(PARKED)
                .where(or_(*conditions))
                .order_by(PARKED.c.dr_time, PARKED.c.id)
                .with_for_update()
            ).mappings()
        ]
        if rows:
            self.connection.execute(delete(PARKED).where(PARKED.c.id.in_([r["id"] for r in rows])))
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
        for row in self.connection.execute(select(ORDERS).order_by(ORDERS.c.id)).mappings():
            yield _record(row)


def _lock_key(identity: Identity) -> int:
    """A stable signed 64-bit advisory lock key for ``identity``."""
    digest = hashlib.blake2b("\x1f".join(identity).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _record(row: Any) -> OrderRecord:
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
