"""The write-behind store answers as the database would, and sends its writes at flush."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine as DbEngine
from sqlalchemy import event, text

from orderfsm.errors import StorageError
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.signals import ChargeFact
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import (
    BatchReads,
    HistoryEntry,
    NewOrder,
    OrderRecord,
    Transaction,
    WriteBehind,
    open_engine,
    upgrade,
)
from orderfsm.persistence.contention import VersionConflict

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
UP1 = OrderRefs(upstream_id="UP1")


@pytest.fixture
def db(sqlite_url: str) -> Iterator[DbEngine]:
    yield from _seeded(sqlite_url)


@pytest.fixture
def each_db(db_url: str) -> Iterator[DbEngine]:
    """As ``db``, on SQLite and then on PostgreSQL."""
    yield from _seeded(db_url)


@pytest.fixture(params=["cursor", "statement-listener"])
def updates_seen(request: pytest.FixtureRequest, each_db: DbEngine) -> list[str] | None:
    """None; or, with a statement listener on ``each_db``, the order UPDATEs it sees.

    A listened-to engine's statements go through SQLAlchemy's ``exec_driver_sql``
    (driver.Runner), and the version check then reads its result's rowcount.
    """
    if request.param == "cursor":
        return None
    seen: list[str] = []

    def listen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.startswith("UPDATE orders"):
            seen.append(statement)

    event.listen(each_db, "before_cursor_execute", listen)
    return seen


def _seeded(url: str) -> Iterator[DbEngine]:
    engine = open_engine(url)
    upgrade(engine)
    with Transaction(engine, "test") as tx:
        tx.store.insert_order(NewOrder("UP1", "CO1", None, OrderState.SUBMITTED, NOW))
        tx.commit()
    yield engine
    engine.dispose()


def history(order_id: int, event_id: str, outcome: Outcome, step: int = 0) -> HistoryEntry:
    return HistoryEntry(
        order_id=order_id,
        trigger="accept",
        from_state=OrderState.SUBMITTED,
        to_state=OrderState.ACCEPTED,
        outcome=outcome,
        origin=SignalOrigin.WEBHOOK,
        recorded_at=NOW,
        event_id=event_id,
        event_type="order.accepted",
        step=step,
        dr_time=NOW,
    )


def accepted(order: OrderRecord, dr_order_id: str | None = None) -> OrderRecord:
    known = order.known
    charges = (ChargeFact("ch-1", "capturable"),)
    changed = type(known)(
        dr_order_id or known.dr_order_id,
        known.checkout_id,
        "passed",
        charges,
        known.dispute_changed_at,
        NOW,
        {"id": dr_order_id},
    )
    return order.evolved(OrderState.ACCEPTED, order.disputed, changed, now=NOW)


def count(db: DbEngine, sql: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_a_change_not_saved_is_not_seen_by_the_next_read(db: DbEngine) -> None:
    with Transaction(db, "test") as tx:
        store = WriteBehind(tx.store)
        order = store.find_order(UP1)
        assert order is not None
        accepted(order)

        again = store.find_order(OrderRefs(checkout_id="CO1"))

    assert again is not None
    assert again.state is OrderState.SUBMITTED and again.charges == ()


def test_a_saved_change_is_read_back_at_once_and_stored_at_flush(db: DbEngine) -> None:
    with Transaction(db, "test") as tx:
        store = WriteBehind(tx.store)
        order = store.find_order(UP1)
        assert order is not None
        store.save_order(accepted(order, "DR1"))

        by_new_id = store.find_order(OrderRefs(dr_order_id="DR1"))
        before_flush = tx.store.connection.execute(text("SELECT state FROM orders"))
        assert before_flush.scalar_one() == "submitted"
        store.flush()
        tx.commit()

    assert by_new_id is not None and by_new_id.state is OrderState.ACCEPTED
    assert count(db, "SELECT count(*) FROM orders WHERE state = 'accepted' AND version = 2") == 1
    assert count(db, "SELECT count(*) FROM orders WHERE charges LIKE '%ch-1%'") == 1


def test_saving_a_record_read_before_another_save_is_a_version_conflict(db: DbEngine) -> None:
    with Transaction(db, "test") as tx:
        store = WriteBehind(tx.store)
        first = store.find_order(UP1)
        second = store.find_order(UP1)
        assert first is not None and second is not None
        store.save_order(accepted(first))

        with pytest.raises(VersionConflict):
            store.save_order(accepted(second))


def _two_orders_accepted(tx: Transaction) -> tuple[WriteBehind, OrderRecord]:
    """Add a second order, read and save both accepted in a batch: its store and the second."""
    tx.store.insert_order(NewOrder("UP2", "CO2", None, OrderState.SUBMITTED, NOW))
    store = WriteBehind(tx.store)
    one, two = store.find_order(UP1), store.find_order(OrderRefs(upstream_id="UP2"))
    assert one is not None and two is not None
    store.save_order(accepted(one, "DR1"))
    store.save_order(accepted(two, "DR2"))
    return store, two


def test_a_flush_that_meets_an_order_changed_since_it_was_read_is_a_version_conflict(
    each_db: DbEngine, updates_seen: list[str] | None
) -> None:
    with Transaction(each_db, "test") as tx:
        store, two = _two_orders_accepted(tx)
        # Another writer's change to the second, after this batch read it.
        bump = text("UPDATE orders SET version = version + 1 WHERE id = :id")
        tx.store.connection.execute(bump, {"id": two.id})

        with pytest.raises(VersionConflict):
            store.flush()
    assert updates_seen is None or updates_seen


def test_a_flush_writes_every_order_the_batch_changed(
    each_db: DbEngine, updates_seen: list[str] | None
) -> None:
    with Transaction(each_db, "test") as tx:
        store, _two = _two_orders_accepted(tx)
        store.flush()
        tx.commit()

    accepted_now = "SELECT count(*) FROM orders WHERE state = 'accepted' AND version = 2"
    assert count(each_db, accepted_now) == 2
    assert count(each_db, "SELECT count(*) FROM orders WHERE dr_order_id IN ('DR1', 'DR2')") == 2
    assert updates_seen is None or updates_seen


def test_an_events_first_application_in_the_batch_makes_it_seen(db: DbEngine) -> None:
    with Transaction(db, "test") as tx:
        store = WriteBehind(tx.store)
        store.prefetch(BatchReads(refs=(), event_ids=("e-1", "e-2")))
        assert not store.event_seen("e-1")

        store.add_history([history(1, "e-1", Outcome.STALE), history(1, "e-2", Outcome.DUPLICATE)])

        assert store.event_seen("e-1")
        assert not store.event_seen("e-2")


def test_the_database_still_refuses_a_second_application_at_flush(db: DbEngine) -> None:
    with Transaction(db, "test") as tx:
        store = WriteBehind(tx.store)
        store.add_history([history(1, "e-1", Outcome.APPLIED), history(1, "e-1", Outcome.APPLIED)])
        store.flush()
        tx.commit()

    assert tx.collision is not None and "UNIQUE" in tx.collision.reason
    assert count(db, "SELECT count(*) FROM order_history") == 0


def test_a_database_error_that_is_no_collision_is_a_storage_error_naming_the_operation(
    db: DbEngine,
) -> None:
    expected = r"^replay: database error: .*no such table"
    with pytest.raises(StorageError, match=expected) as raised, Transaction(db, "replay") as tx:
        tx.store.connection.execute(text("SELECT * FROM no_such_table"))
    assert raised.value.operation == "replay" and not raised.value.connection_lost


def test_a_password_in_the_url_never_reaches_the_storage_error() -> None:
    db = open_engine("postgresql://orderfsm:s3cret-pw@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(StorageError) as raised, Transaction(db, "show"):
            pass
    finally:
        db.dispose()
    assert "s3cret-pw" not in str(raised.value)
    assert str(raised.value).startswith("show: database error: ")
    assert "\n" not in str(raised.value)
