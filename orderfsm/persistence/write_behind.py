"""A store that holds one batch's writes and sends them together.

Applying many signals in one transaction gives the same result as applying
them one by one if every read sees every earlier write. :class:`WriteBehind`
wraps a :class:`~orderfsm.persistence.repository.Repository` and keeps that
promise while sending the hot writes as a few ``executemany`` calls at
:meth:`WriteBehind.flush` (history and outbox rows through the repository,
which runs them on the DB-API cursor: :mod:`~orderfsm.persistence.driver`):

* orders are read once (optionally all at once, :meth:`WriteBehind.prefetch`)
  into a map kept in step with every save; records are frozen, so a change a
  unit of work does not save is lost exactly as a rollback would lose it;
* history rows and effect intents are buffered; deduplication consults the
  buffered history (:func:`~orderfsm.fsm.outcomes.is_first_application`, the
  partial unique index's rule) before the database;
* where one writer is let in at a time (SQLite), new orders are buffered
  too: their ids are the ones SQLite would give them (one past the largest,
  read once per transaction, which no one else can write meanwhile), and
  they are sent first at flush, in one ``executemany``;
* anything rarer (inserting an order on PostgreSQL, parking, attaching
  parked events, advisory locks) goes straight to the database, in order;
  after taking an identity lock, a lookup by that identity asks the database
  again (another transaction may have committed the order meanwhile).

Saves are checked against the version each order had when the batch read it,
and the database's unique indexes still judge every history row and effect
at flush: a conflict there fails the transaction, and the service redoes the
batch one unit at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from orderfsm.fsm.outcomes import is_first_application
from orderfsm.fsm.refs import Identity, OrderRefs, RefKind
from orderfsm.persistence.contention import VersionConflict
from orderfsm.persistence.records import (
    HistoryEntry,
    NewOrder,
    OrderRecord,
    OrderView,
    ParkedSignal,
    PendingEffect,
)
from orderfsm.persistence.repository import Repository
from orderfsm.persistence.rows import (
    created_record,
    new_order_values,
    order_update,
)
from orderfsm.persistence.statements import INSERT_ORDER
from orderfsm.persistence.tables import ORDERS

_LAST_ORDER_ID = select(func.max(ORDERS.c.id))
"""The largest order id: SQLite gives a new row one past it (the table has no AUTOINCREMENT)."""

"""As ``ENQUEUE``: an effect whose key is already there is left alone (exactly once)."""

_IN_BATCH = 500
"""Most values bound in one ``IN`` list (SQLite allows 32,766 parameters)."""


@dataclass(frozen=True, slots=True)
class BatchReads:
    """What a batch will look up: its orders' references and its events' ids."""

    refs: tuple[OrderRefs, ...]
    event_ids: tuple[str, ...]


class WriteBehind:
    """A store for one batch over ``store``: the same answers, writes sent at :meth:`flush`."""

    def __init__(self, store: Repository) -> None:
        self._store = store
        self._orders: dict[int, OrderRecord] = {}
        self._by_ref: dict[Identity, int] = {}
        self._absent: set[Identity] = set()
        self._read_version: dict[int, int] = {}
        self._dirty: set[int] = set()
        self._new_orders: list[dict[str, Any]] = []
        self._next_id: int | None = None
        self._history: list[HistoryEntry] = []
        self._effects: list[PendingEffect] = []
        self._seen: set[str] = set()
        self._unseen: set[str] = set()
        self._parking_known: set[Identity] = set()
        self._maybe_parked: set[Identity] = set()
        # Where one writer is let in at a time (SQLite, BEGIN IMMEDIATE), what
        # this batch read stays true until it commits. Elsewhere other
        # transactions commit meanwhile, and an identity lock is taken to see them.
        self._alone = not store.uses_identity_locks
        self._holds_identity_locks = False

    @property
    def holds_identity_locks(self) -> bool:
        """True once a unit took identity locks that other transactions wait for.

        They are held until commit, and parkers only *try* them and retry,
        so a batch holding them should commit before running further units.
        """
        return self._holds_identity_locks

    # -- reads ----------------------------------------------------------------

    def prefetch(self, reads: BatchReads) -> None:
        """Read, in a few statements, the orders and seen events a batch will ask about.

        Orders are locked as :meth:`find_order` would lock them (PostgreSQL).
        A reference looked up here and not found is remembered as absent, so
        asking for it later costs no statement; so is the absence of parked
        events under the batch's references and its orders' references.
        """
        requested = {identity for refs in reads.refs for identity in refs.known()}
        for kind in RefKind:
            wanted = sorted({v for k, v in requested if k is kind and (k, v) not in self._by_ref})
            for chunk in _chunks(wanted):
                for order in self._store.find_many(kind, chunk):
                    self._keep_read(order)
                    requested.update(order.refs.known())
                self._absent.update((kind, v) for v in chunk if (kind, v) not in self._by_ref)
        self._prefetch_parked(requested)
        unknown = sorted({e for e in reads.event_ids if e not in self._seen})
        for chunk in _chunks(unknown):
            self._seen.update(self._store.events_seen(chunk))
            self._unseen.update(e for e in chunk if e not in self._seen)

    def _prefetch_parked(self, requested: set[Identity]) -> None:
        """Learn which of the references asked for (and their orders') have parked events.

        The orders read earlier in the transaction had theirs asked already.
        """
        identities = requested - self._parking_known
        for kind in RefKind:
            for chunk in _chunks(sorted(v for k, v in identities if k is kind)):
                for refs in self._store.parked_refs(kind, chunk):
                    self._maybe_parked.update(refs.known())
        self._parking_known |= identities

    def find_order(self, refs: OrderRefs, *, lock: bool = True) -> OrderRecord | None:
        """As :meth:`Repository.find_order`, answered from the batch when it knows."""
        for identity in refs.known():
            order_id = self._by_ref.get(identity)
            if order_id is not None:
                return self._orders[order_id]
            if identity in self._absent:
                continue
            found = self._store.find_one(*identity, lock=lock)
            if found is None:
                self._absent.add(identity)
                continue
            return self._orders.get(found.id) or self._keep_read(found)
        return None

    def find_order_and_seen(
        self, refs: OrderRefs, event_id: str
    ) -> tuple[OrderRecord | None, bool]:
        """:meth:`find_order`, then :meth:`event_seen` (a batch answers most from memory)."""
        return self.find_order(refs), self.event_seen(event_id)

    def lock_identities(self, identities: Collection[Identity], *, wait: bool) -> bool:
        """As :meth:`Repository.lock_identities`; then ask the database again about them.

        Whoever takes these locks does so to see what other transactions
        committed meanwhile (PostgreSQL, READ COMMITTED): an absence this
        batch remembers from before the lock is forgotten.
        """
        locked = self._store.lock_identities(identities, wait=wait)
        if not self._alone:
            self._absent.difference_update(identities)
            self._parking_known.difference_update(identities)
            self._holds_identity_locks |= locked and bool(identities)
        return locked

    def take_parked(self, refs: OrderRefs) -> list[ParkedSignal]:
        """As :meth:`Repository.take_parked`; no statement when the batch knows there are none."""
        asked = refs.identities()
        if asked <= self._parking_known and not asked & self._maybe_parked:
            return []
        return self._store.take_parked(refs)

    def parked_event_types(self, refs: OrderRefs) -> list[str]:
        """As :meth:`Repository.parked_event_types`."""
        return self._store.parked_event_types(refs)

    def event_seen(self, event_id: str) -> bool:
        """As :meth:`Repository.event_seen`, counting this batch's unsent history."""
        if event_id in self._seen:
            return True
        if event_id in self._unseen:
            return False
        return self._store.event_seen(event_id)

    def view(self, order: OrderRecord) -> OrderView:
        """As :meth:`Repository.view`, after sending what the batch holds."""
        self.flush()
        return self._store.view(order)

    def orders_after(self, after_id: int, limit: int) -> list[OrderRecord]:
        """As :meth:`Repository.orders_after`, after sending what the batch holds."""
        self.flush()
        return self._store.orders_after(after_id, limit)

    # -- writes ---------------------------------------------------------------

    def insert_order(self, order: NewOrder) -> OrderRecord:
        """Remember the new order; insert it at :meth:`flush` (SQLite) or at once (its id)."""
        if not self._alone:  # others insert meanwhile: the database gives the id
            return self._keep_read(self._store.insert_order(order))
        if self._next_id is None:
            last = self._store.connection.execute(_LAST_ORDER_ID).scalar()
            self._next_id = (last or 0) + 1
        record = created_record(self._next_id, order)
        self._next_id += 1
        self._new_orders.append({"id": record.id, **new_order_values(order)})
        return self._keep_read(record)

    def save_order(self, order: OrderRecord) -> None:
        """Keep the new state for :meth:`flush`; refuse a save of a state read before another."""
        stored = self._orders.get(order.id)
        if stored is None or stored.version != order.version - 1:
            raise VersionConflict(f"order {order.upstream_id} changed concurrently")
        self._keep(order)
        self._dirty.add(order.id)

    def add_history(self, entries: Sequence[HistoryEntry]) -> None:
        """Buffer history entries; a first application of an event now counts as seen."""
        for entry in entries:
            if entry.event_id is not None and is_first_application(entry.step, entry.outcome):
                self._seen.add(entry.event_id)
                self._unseen.discard(entry.event_id)
        self._history.extend(entries)

    def enqueue_effects(self, effects: Sequence[PendingEffect]) -> None:
        """Buffer effect intents (the unique key still decides at :meth:`flush`)."""
        self._effects.extend(effects)

    def park(self, parked: ParkedSignal) -> None:
        """Park at once; the event now counts as seen."""
        self._store.park(parked)
        self._maybe_parked.update(parked.refs.known())
        self._seen.add(parked.event_id)
        self._unseen.discard(parked.event_id)

    def flush(self) -> None:
        """Send the buffered writes: new orders, order updates, then history, then effects."""
        if self._new_orders:
            self._store.connection.execute(INSERT_ORDER, self._new_orders)
            self._new_orders = []
        if self._dirty:
            self._store.save_orders(
                [
                    order_update(self._orders[i], read_version=self._read_version[i])
                    for i in sorted(self._dirty)
                ]
            )
            for i in self._dirty:
                self._read_version[i] = self._orders[i].version
            self._dirty.clear()
        if self._history:
            self._store.add_history(self._history)
            self._history = []
        if self._effects:
            self._store.enqueue_effects(self._effects)
            self._effects = []

    # -- the map --------------------------------------------------------------

    def _keep_read(self, order: OrderRecord) -> OrderRecord:
        self._read_version.setdefault(order.id, order.version)
        return self._keep(order)

    def _keep(self, order: OrderRecord) -> OrderRecord:
        self._orders[order.id] = order
        for identity in order.refs.known():
            self._by_ref[identity] = order.id
            self._absent.discard(identity)
        return order


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _IN_BATCH):
        yield values[start : start + _IN_BATCH]
