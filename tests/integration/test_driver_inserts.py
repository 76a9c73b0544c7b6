"""A batch's history and outbox rows sent through the DB-API cursor store what SQLAlchemy stores.

Two SQLite files get the same rows, one through the repository (SQLAlchemy
Core), one through :mod:`orderfsm.persistence.driver_inserts`; every column is
read back raw (the text SQLite holds, not a decoded value) and compared. The
unique indexes still judge the rows: a duplicate is a collision, as before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.outcomes import Outcome, SignalOrigin
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.driver_inserts import driver_insert, takes_driver_inserts
from orderfsm.persistence.records import HistoryEntry, NewOrder, PendingEffect
from orderfsm.persistence.repository import Repository
from orderfsm.persistence.rows import (
    HistoryValues,
    OutboxValues,
    history_values,
    outbox_values,
)
from orderfsm.persistence.tables import HISTORY, OUTBOX
from orderfsm.persistence.transaction import is_transient
from orderfsm.service import Engine

T0 = datetime(2026, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)
KEEP = " ON CONFLICT (idempotency_key) DO NOTHING"


def entries(order_id: int) -> list[HistoryEntry]:
    return [
        HistoryEntry(order_id, "submit", None, OrderState.SUBMITTED, Outcome.APPLIED,
                     SignalOrigin.SUBMIT, T0),
        HistoryEntry(order_id, "accept", OrderState.SUBMITTED, OrderState.ACCEPTED,
                     Outcome.APPLIED, SignalOrigin.WEBHOOK, T0, event_id="e-1",
                     event_type="order.accepted", reason="é \u00fc", step=1,
                     dr_time=datetime(2026, 5, 1, 8, 59, 59, tzinfo=UTC)),
    ]  # fmt: skip


def effects(order_id: int) -> list[PendingEffect]:
    payload: dict[str, Any] = {"items": [{"id": "it-1", "quantity": 2}], "note": None, "x": 1.5}
    return [
        PendingEffect(order_id, EffectName.SEND_ORDER_CONFIRMATION, "k-1", payload, T0),
        PendingEffect(order_id, EffectName.REQUEST_SHIPMENT, "k-2", {}, T0),
    ]


def stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.db.connect() as conn:
        return {
            table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in ("order_history", "outbox")
        }


def fill(url: str, *, driver: bool) -> dict[str, list[tuple[Any, ...]]]:
    with Engine.open(url, create_if_empty=True) as engine:
        with engine.db.begin() as conn:
            store = Repository(conn)
            order = store.insert_order(NewOrder("UP1", "CO1", None, OrderState.SUBMITTED, T0))
            if driver:
                assert takes_driver_inserts(conn)
                rows = [history_values(e) for e in entries(order.id)]
                driver_insert(conn, HISTORY, tuple(HistoryValues.__annotations__)).execute(
                    conn, rows
                )
                columns = tuple(OutboxValues.__annotations__)
                outbox = driver_insert(conn, OUTBOX, columns, suffix=KEEP)
                outbox.execute(conn, [outbox_values(e) for e in effects(order.id)])
                outbox.execute(conn, [outbox_values(effects(order.id)[0])])  # key there: kept
            else:
                store.add_history(entries(order.id))
                store.enqueue_effects(effects(order.id))
                store.enqueue_effects(effects(order.id)[:1])
        return stored(engine)


def test_driver_inserts_store_the_same_bytes_as_sqlalchemy(tmp_path: Path) -> None:
    core = fill(f"sqlite:///{tmp_path / 'core.db'}", driver=False)
    driver = fill(f"sqlite:///{tmp_path / 'driver.db'}", driver=True)

    assert len(core["order_history"]) == 2
    assert len(core["outbox"]) == 2
    assert driver == core


def test_a_duplicate_first_application_is_refused_as_a_collision(tmp_path: Path) -> None:
    with Engine.open(f"sqlite:///{tmp_path / 'shop.db'}", create_if_empty=True) as engine:
        with engine.db.begin() as conn:
            order = Repository(conn).insert_order(
                NewOrder("UP1", "CO1", None, OrderState.SUBMITTED, T0)
            )
        first = history_values(replace(entries(order.id)[1], step=0))
        with pytest.raises(IntegrityError) as refused, engine.db.begin() as conn:
            insert = driver_insert(conn, HISTORY, tuple(HistoryValues.__annotations__))
            insert.execute(conn, [first, first])
        assert is_transient(refused.value)
        assert stored(engine)["order_history"] == []
