"""The order's lookup and the deduplication query in one round trip (Repository).

``find_order_and_seen`` must answer what ``find_order`` (locked) followed by
``event_seen`` answer, on both databases; on PostgreSQL, when another
transaction holds the order's lock, it must see what that transaction
committed (a statement that waits for a row lock reads with its old snapshot,
which is why the merged statement skips a locked row and the two are then
asked apart).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import Transaction
from orderfsm.persistence.database import Database
from orderfsm.persistence.records import HistoryEntry, NewOrder, ParkedSignal
from tests.support.engines import migrated

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DR = OrderRefs(dr_order_id="DR1")
WAIT_S = 30


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    with migrated(db_url) as database:
        yield database


def entry(order_id: int, event_id: str, outcome: Outcome, step: int = 0) -> HistoryEntry:
    return HistoryEntry(
        order_id=order_id,
        trigger="accept",
        from_state=OrderState.SUBMITTED,
        to_state=OrderState.SUBMITTED,
        outcome=outcome,
        origin=SignalOrigin.WEBHOOK,
        recorded_at=T0,
        event_id=event_id,
        step=step,
    )


def order_with_history(db: Database) -> int:
    with Transaction(db, "setup") as tx:
        order = tx.store.insert_order(NewOrder("UP1", "CO1", "DR1", OrderState.SUBMITTED, T0))
        tx.store.add_history(
            [
                entry(order.id, "applied", Outcome.APPLIED),
                entry(order.id, "refused", Outcome.REFUSED),
                entry(order.id, "only-duplicate", Outcome.DUPLICATE),
                entry(order.id, "later-step", Outcome.APPLIED, step=1),
            ]
        )
        tx.store.park(ParkedSignal("parked", "order.accepted", OrderRefs("DR9"), None, "{}", T0))
        tx.commit()
    return order.id


def both_ways(db: Database, refs: OrderRefs, event_id: str) -> tuple[Any, Any]:
    with Transaction(db, "merged") as tx:
        merged = tx.store.find_order_and_seen(refs, event_id)
    with Transaction(db, "apart") as tx:
        apart = (tx.store.find_order(refs), tx.store.event_seen(event_id))
    return merged, apart


@pytest.mark.parametrize(
    ("event_id", "seen"),
    [
        ("applied", True),
        ("refused", True),
        ("parked", True),
        ("only-duplicate", False),
        ("later-step", False),
        ("never", False),
    ],
)
def test_one_round_trip_answers_as_the_two_lookups_do(
    db: Database, event_id: str, seen: bool
) -> None:
    order_id = order_with_history(db)
    for refs in (DR, OrderRefs(checkout_id="CO1"), OrderRefs(dr_order_id="DR9")):
        merged, apart = both_ways(db, refs, event_id)
        assert merged == apart
        assert merged[1] is seen
        found = merged[0]
        assert (found.id if found else None) == (None if refs.dr_order_id == "DR9" else order_id)


def test_a_found_order_costs_one_statement(db: Database) -> None:
    order_with_history(db)
    statements: list[str] = []
    event.listen(db, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with Transaction(db, "merged") as tx:
        order, seen = tx.store.find_order_and_seen(DR, "applied")
    assert order is not None and seen
    assert [s for s in statements if not s.startswith(("BEGIN", "SET"))] == statements[-1:]
    assert "FROM orders" in statements[-1] and "order_history" in statements[-1]


@pytest.fixture
def pg_db(pg_schema_url: str) -> Iterator[Database]:
    with migrated(pg_schema_url) as database:
        yield database


def test_postgresql_sees_what_the_holder_of_the_orders_lock_committed(pg_db: Database) -> None:
    """SQLite needs no such test: its writers hold the whole database, not rows."""
    db = pg_db
    order_id = order_with_history(db)
    locked = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with Transaction(db, "holder") as tx:
            assert tx.store.find_order(DR) is not None  # FOR UPDATE
            tx.store.add_history([entry(order_id, "concurrent", Outcome.APPLIED)])
            locked.set()
            assert release.wait(WAIT_S)
            tx.commit()

    def waiter() -> bool:
        assert locked.wait(WAIT_S)
        with Transaction(db, "waiter") as tx:
            _order, seen = tx.store.find_order_and_seen(DR, "concurrent")
        return seen

    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(holder)
        seen = pool.submit(waiter)
        assert locked.wait(WAIT_S)
        # The waiter is blocked on the lock (not finished) until the holder commits.
        assert not seen.done()
        with pytest.raises(TimeoutError):
            seen.result(timeout=0.5)
        release.set()
        held.result(timeout=WAIT_S)
        assert seen.result(timeout=WAIT_S) is True
