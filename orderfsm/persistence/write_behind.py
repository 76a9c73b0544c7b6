"""A repository that holds one batch's writes and sends them together.

Applying many signals in one transaction gives the same result as applying
them one by one if every read sees every earlier write. :class:`WriteBehind`
keeps that promise while sending the hot writes as a few ``executemany``
calls at :meth:`WriteBehind.flush`:

* orders are read once (optionally all at once, :meth:`WriteBehind.prefetch`)
  into a map kept in step with every save; each read hands out a *copy* of
  the stored state, so a change a unit of work makes without saving it is
  lost exactly as a rollback would lose it;
* history rows and effect intents are buffered; deduplication consults the
  buffered history (the same predicate as the partial unique index) before
  the database;
* anything rarer (inserting an order, parking, attaching parked events,
  advisory locks) goes straight to the database, in order; after taking an
  identity lock, a lookup by that identity asks the database again (another
  transaction may have committed the order meanwhile).

Saves are checked against the version each order had when the batch read it,
and the database's unique indexes still judge every history row and effect
at flush: a conflict there fails the flush, and the caller redoes the batch
one unit at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from orderfsm.fsm.states import OrderState
from orderfsm.persistence.records import EffectEntry, HistoryEntry, OrderRecord, OrderView
from orderfsm.persistence.repository import (
    ORDERS,
    PARKED,
    SAVE_ORDER,
    UNCOUNTED_OUTCOMES,
    Identity,
    Repository,
    VersionConflict,
    order_update_params,
    row_to_record,
)

ID_COLUMNS = ("dr_order_id", "checkout_id", "upstream_id")
_IN_BATCH = 500
"""Most values bound in one ``IN`` list (SQLite allows 32,766 parameters)."""


def _copy(order: OrderRecord) -> OrderRecord:
    # Spelled out: dataclasses.replace costs several times more, on every read.
    return OrderRecord(
        order.id,
        order.upstream_id,
        order.checkout_id,
        order.dr_order_id,
        order.state,
        order.fraud_state,
        list(order.charges),
        order.disputed,
        order.dispute_changed_at,
        order.dr_time,
        order.snapshot,
        order.version,
        order.created_at,
        order.updated_at,
    )


class WriteBehind(Repository):
    """A :class:`Repository` for one batch: same answers, writes sent at :meth:`flush`."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._orders: dict[int, OrderRecord] = {}
        self._by_id: dict[tuple[str, str], int] = {}
        self._absent: set[tuple[str, str]] = set()
        self._read_version: dict[int, int] = {}
        self._dirty: set[int] = set()
        self._history: list[dict[str, Any]] = []
        self._effects: list[dict[str, Any]] = []
        self._seen: set[str] = set()
        self._unseen: set[str] = set()
        self._parking_known: set[tuple[str, str]] = set()
        self._maybe_parked: set[tuple[str, str]] = set()
        # SQLite lets one writer in at a time (BEGIN IMMEDIATE): what this
        # batch read stays true until it commits. Elsewhere other transactions
        # commit meanwhile, and an identity lock is taken to see them.
        self._alone = connection.dialect.name == "sqlite"
        self.commit_soon = False
        """True once a unit holds identity locks (PostgreSQL): commit after that unit."""

    # -- reads ----------------------------------------------------------------

    def prefetch(
        self,
        *,
        event_ids: Iterable[str] = (),
        dr_order_ids: Iterable[str] = (),
        checkout_ids: Iterable[str] = (),
        upstream_ids: Iterable[str] = (),
    ) -> None:
        """Read, in a few statements, the orders and seen events a batch will ask about.

        Orders are locked as :meth:`find_order` would lock them (PostgreSQL).
        A value looked up here and not found is remembered as absent, so
        asking for it later costs no statement; so is the absence of parked
        events under the batch's ids and its orders' ids.
        """
        requested: set[tuple[str, str]] = set()
        for column, values in zip(
            ID_COLUMNS, (dr_order_ids, checkout_ids, upstream_ids), strict=True
        ):
            requested.update((column, v) for v in values)
            wanted = sorted({v for v in values if (column, v) not in self._by_id})
            for chunk in _chunks(wanted):
                query = (
                    select(ORDERS)
                    .where(ORDERS.c[column].in_(bindparam("values", expanding=True)))
                    .order_by(ORDERS.c.id)
                    .with_for_update()
                )
                for row in self.connection.execute(query, {"values": chunk}).mappings():
                    self._keep_read(row_to_record(row))
                self._absent.update(
                    (column, value) for value in chunk if (column, value) not in self._by_id
                )
        self._prefetch_parked(requested)
        unknown = sorted({e for e in event_ids if e not in self._seen})
        for chunk in _chunks(unknown):
            self._seen.update(super().events_seen(chunk))
            self._unseen.update(e for e in chunk if e not in self._seen)

    def find_order(
        self,
        *,
        dr_order_id: str | None = None,
        checkout_id: str | None = None,
        upstream_id: str | None = None,
        lock: bool = True,
    ) -> OrderRecord | None:
        """As :meth:`Repository.find_order`, answered from the batch when it knows."""
        for column, value in zip(ID_COLUMNS, (dr_order_id, checkout_id, upstream_id), strict=True):
            if value is None:
                continue
            key = (column, value)
            order_id = self._by_id.get(key)
            if order_id is not None:
                return _copy(self._orders[order_id])
            if key in self._absent:
                continue
            found = super().find_order(**{column: value}, lock=lock)
            if found is None:
                self._absent.add(key)
                continue
            return _copy(self._orders.get(found.id) or self._keep_read(found))
        return None

    def lock_identities(self, identities: Collection[Identity], *, wait: bool) -> bool:
        """As :meth:`Repository.lock_identities`; then ask the database again about them.

        Whoever takes these locks does so to see what other transactions
        committed meanwhile (PostgreSQL, READ COMMITTED): an absence this
        batch remembers from before the lock is forgotten.
        """
        locked = super().lock_identities(identities, wait=wait)
        if not self._alone:
            self._absent.difference_update(identities)
            self._parking_known.difference_update(identities)
            # Held until commit: other parkers only try these locks and retry,
            # so a batch must not keep them while it runs further units.
            self.commit_soon = self.commit_soon or (locked and bool(identities))
        return locked

    def _prefetch_parked(self, requested: set[tuple[str, str]]) -> None:
        """Learn which of the batch's ids (and its orders' ids) have parked events."""
        identities = requested | {
            (column, value)
            for order in self._orders.values()
            for column in ID_COLUMNS
            if (value := getattr(order, column)) is not None
        }
        identities -= self._parking_known
        for column in ID_COLUMNS:
            values = sorted(v for c, v in identities if c == column)
            for chunk in _chunks(values):
                found = self.connection.execute(_PARKED_BY[column], {"values": chunk}).mappings()
                for row in found:
                    self._maybe_parked.update((c, row[c]) for c in ID_COLUMNS if row[c] is not None)
        self._parking_known |= identities

    def take_parked(
        self, *, dr_order_id: str | None, checkout_id: str | None, upstream_id: str | None
    ) -> list[dict[str, Any]]:
        """As :meth:`Repository.take_parked`; no statement when the batch knows there are none."""
        asked = {
            (column, value)
            for column, value in zip(
                ID_COLUMNS, (dr_order_id, checkout_id, upstream_id), strict=True
            )
            if value is not None
        }
        if asked <= self._parking_known and not asked & self._maybe_parked:
            return []
        return super().take_parked(
            dr_order_id=dr_order_id, checkout_id=checkout_id, upstream_id=upstream_id
        )

    def event_seen(self, event_id: str) -> bool:
        """As :meth:`Repository.event_seen`, counting this batch's unsent history."""
        if event_id in self._seen:
            return True
        if event_id in self._unseen:
            return False
        return super().event_seen(event_id)

    def history(self, order_id: int) -> list[HistoryEntry]:
        """As :meth:`Repository.history`, after sending what the batch holds."""
        self.flush()
        return super().history(order_id)

    def effects(self, order_id: int) -> list[EffectEntry]:
        """As :meth:`Repository.effects`, after sending what the batch holds."""
        self.flush()
        return super().effects(order_id)

    def view(self, order: OrderRecord) -> OrderView:
        """As :meth:`Repository.view`, after sending what the batch holds."""
        self.flush()
        return super().view(order)

    # -- writes ---------------------------------------------------------------

    def insert_order(
        self, *, upstream_id: str, checkout_id: str | None, state: OrderState, now: datetime
    ) -> OrderRecord:
        """Insert at once (the id is needed), and remember the new order."""
        order = super().insert_order(
            upstream_id=upstream_id, checkout_id=checkout_id, state=state, now=now
        )
        self._keep_read(order)
        return _copy(order)

    def save_order(self, order: OrderRecord, now: datetime) -> None:
        """Keep the new state for :meth:`flush`; refuse a save of a state read before another."""
        stored = self._orders.get(order.id)
        if stored is None:
            raise VersionConflict(f"order {order.upstream_id} was not read in this batch")
        if stored.version != order.version:
            raise VersionConflict(f"order {order.upstream_id} changed concurrently")
        order.version += 1
        order.updated_at = now
        self._keep(_copy(order))
        self._dirty.add(order.id)

    def add_history(self, rows: Sequence[dict[str, Any]]) -> None:
        """Buffer history rows; a first application of an event now counts as seen."""
        for row in rows:
            event_id = row["event_id"]
            if (
                event_id is not None
                and row["step"] == 0
                and row["outcome"] not in UNCOUNTED_OUTCOMES
            ):
                self._seen.add(event_id)
                self._unseen.discard(event_id)
        self._history.extend(rows)

    def enqueue_effects(self, rows: Sequence[dict[str, Any]]) -> None:
        """Buffer effect intents (the unique key still decides at :meth:`flush`)."""
        self._effects.extend(rows)

    def park(self, values: dict[str, Any]) -> None:
        """Park at once; the event now counts as seen."""
        super().park(values)
        self._maybe_parked.update(
            (column, values[column]) for column in ID_COLUMNS if values.get(column) is not None
        )
        self._seen.add(values["event_id"])
        self._unseen.discard(values["event_id"])

    def flush(self) -> None:
        """Send the buffered writes: order updates, then history, then effects."""
        if self._dirty:
            params = [
                order_update_params(
                    self._orders[i],
                    read_version=self._read_version[i],
                    version=self._orders[i].version,
                    updated_at=self._orders[i].updated_at,
                )
                for i in sorted(self._dirty)
            ]
            result = self.connection.execute(SAVE_ORDER, params)
            if result.rowcount != len(params):
                raise VersionConflict("an order of this batch changed concurrently")
            for i in self._dirty:
                self._read_version[i] = self._orders[i].version
            self._dirty.clear()
        if self._history:
            super().add_history(self._history)
            self._history = []
        if self._effects:
            super().enqueue_effects(self._effects)
            self._effects = []

    # -- the map --------------------------------------------------------------

    def _keep_read(self, order: OrderRecord) -> OrderRecord:
        self._read_version.setdefault(order.id, order.version)
        return self._keep(order)

    def _keep(self, order: OrderRecord) -> OrderRecord:
        self._orders[order.id] = order
        for column in ID_COLUMNS:
            value = getattr(order, column)
            if value is not None:
                self._by_id[column, value] = order.id
                self._absent.discard((column, value))
        return order


_PARKED_BY = {
    column: select(PARKED.c.dr_order_id, PARKED.c.checkout_id, PARKED.c.upstream_id).where(
        PARKED.c[column].in_(bindparam("values", expanding=True))
    )
    for column in ID_COLUMNS
}


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _IN_BATCH):
        yield values[start : start + _IN_BATCH]
