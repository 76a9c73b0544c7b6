"""The per-event statements on the DB-API cursor store and read what Core would.

Each row is written once through Core (``connection.execute`` of the
prebuilt statement) and once through :mod:`orderfsm.persistence.driver`;
the stored values, read back as the database holds them, must be the same,
and so must the records read through either path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.refs import OrderRefs, RefKind
from orderfsm.fsm.signals import ChargeFact
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import Transaction
from orderfsm.persistence import statements as sql
from orderfsm.persistence.database import Database
from orderfsm.persistence.records import HistoryEntry, NewOrder, ParkedSignal, PendingEffect
from orderfsm.persistence.repository import Repository
from orderfsm.persistence.rows import (
    history_values,
    order_record,
    order_update,
    outbox_values,
    parked_signal,
)
from orderfsm.persistence.transaction import is_transient
from tests.support.engines import migrated

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    with migrated(db_url) as database:
        yield database


def stored(connection: Connection, table: str, where: str) -> list[tuple[object, ...]]:
    """Rows as the database holds them (no SQLAlchemy types): everything but the id."""
    rows = connection.exec_driver_sql(f"SELECT * FROM {table} WHERE {where} ORDER BY id").all()
    return [tuple(row)[1:] for row in rows]


def test_history_outbox_and_order_rows_are_stored_and_read_as_core_does(db: Database) -> None:
    with Transaction(db, "test") as tx:
        store, connection = tx.store, tx.store.connection
        first = store.insert_order(NewOrder("UP1", "CO1", "DR1", OrderState.SUBMITTED, T0))
        second = store.insert_order(NewOrder("UP2", "CO2", "DR2", OrderState.SUBMITTED, T0))
        entry = HistoryEntry(
            order_id=first.id,
            trigger="accept",
            from_state=OrderState.SUBMITTED,
            to_state=OrderState.ACCEPTED,
            outcome=Outcome.APPLIED,
            origin=SignalOrigin.WEBHOOK,
            recorded_at=T0,
            event_id="evt-1",
            event_type="order.accepted",
            reason="ünïcode ✓",
            dr_time=T0,
        )
        connection.execute(sql.INSERT_HISTORY, [history_values(entry)])
        store.add_history([replace(entry, order_id=second.id, event_id="evt-2")])
        core_history, driver_history = (
            stored(connection, "order_history", f"order_id = {n}") for n in (first.id, second.id)
        )
        assert len(core_history) == len(driver_history) == 1
        assert core_history[0][2:] == driver_history[0][2:]  # but the order and event ids

        effect = PendingEffect(
            first.id, EffectName.REQUEST_SHIPMENT, "key-1", {"amount": 1.5, "nested": [1, None]}, T0
        )
        connection.execute(sql.ENQUEUE[store.dialect], [outbox_values(effect)])
        store.enqueue_effects([replace(effect, order_id=second.id, idempotency_key="key-2")])
        core_outbox, driver_outbox = (
            stored(connection, "outbox", f"order_id = {n}") for n in (first.id, second.id)
        )
        assert len(core_outbox) == len(driver_outbox) == 1
        but_ids = (0, 2)  # the order id and the idempotency key
        assert [v for i, v in enumerate(core_outbox[0]) if i not in but_ids] == [
            v for i, v in enumerate(driver_outbox[0]) if i not in but_ids
        ]

        charges = (ChargeFact("ch-1", "capturable", T0),)
        for order, through_core in ((first, True), (second, False)):
            changed = replace(
                order,
                state=OrderState.ACCEPTED,
                fraud_state="passed",
                charges=charges,
                disputed=True,
                dispute_changed_at=T0,
                dr_time=T0,
                snapshot={"id": "DR", "totalAmount": 10.5, "items": [{"a": 1, "b": None}]},
                version=order.version + 1,
                updated_at=T0,
            )
            if through_core:
                connection.execute(sql.SAVE_ORDER, order_update(changed, read_version=1))
            else:
                store.save_order(changed)
        core_order, driver_order = (
            stored(connection, "orders", f"id = {n}") for n in (first.id, second.id)
        )
        differing = {0, 1, 2}  # upstream, checkout and DR ids
        assert [v for i, v in enumerate(core_order[0]) if i not in differing] == [
            v for i, v in enumerate(driver_order[0]) if i not in differing
        ]

        for order in (first, second):
            by_dr_id = sql.FIND_ORDER[RefKind.DR_ORDER_ID, False]
            row = connection.execute(by_dr_id, {"value": order.dr_order_id}).mappings().one()
            core_read = order_record(row)
            found = store.find_one(RefKind.DR_ORDER_ID, str(order.dr_order_id), lock=False)
            assert found == core_read
            assert core_read.charges == charges and core_read.dr_time is not None


def test_parked_events_are_read_as_core_reads_them(db: Database) -> None:
    parked = [
        ParkedSignal(
            f"evt-{n}",
            "order.accepted",
            OrderRefs(dr_order_id="DR1", checkout_id="CO1" if n else None),
            None if n == 2 else T0 + timedelta(seconds=n),
            '{"id": "evt", "text": "ünïcode ✓"}',
            T0,
        )
        for n in range(3)
    ]
    with Transaction(db, "test") as tx:
        for one in parked:
            tx.store.park(one)
        params = {"dr_order_id": "DR1", "checkout_id": "CO1", "upstream_id": None}
        core = [
            parked_signal(row)
            for row in tx.store.connection.execute(sql.PARKED_FOR, params).mappings()
        ]
        taken = tx.store.take_parked(OrderRefs(dr_order_id="DR1", checkout_id="CO1"))
        assert taken == core
        assert sorted(taken, key=lambda p: p.event_id) == parked
        assert tx.store.take_parked(OrderRefs(dr_order_id="DR1")) == []  # taken means removed


def test_a_duplicate_first_application_through_the_driver_is_refused_as_a_collision(
    db: Database,
) -> None:
    # What a batch's flush sends (WriteBehind -> Repository.add_history): the
    # partial unique index still judges each row, and the error is the one
    # Transaction retries.
    with db.begin() as connection:
        order = Repository(connection).insert_order(
            NewOrder("UP1", "CO1", None, OrderState.SUBMITTED, T0)
        )
    first = HistoryEntry(
        order_id=order.id,
        trigger="accept",
        from_state=OrderState.SUBMITTED,
        to_state=OrderState.ACCEPTED,
        outcome=Outcome.APPLIED,
        origin=SignalOrigin.WEBHOOK,
        recorded_at=T0,
        event_id="e-1",
        event_type="order.accepted",
    )
    with pytest.raises(IntegrityError) as refused, db.begin() as connection:
        Repository(connection).add_history([first, first])
    assert is_transient(refused.value)
    with db.connect() as connection:
        assert stored(connection, "order_history", f"order_id = {order.id}") == []
