"""Writing transactions keep their connection for the next one (orderfsm/persistence/kept.py).

On a SQLite file, through the real pool: a kept connection is reused only
while it is what a fresh checkout would give.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event

from orderfsm.adapters.http.durability import make_commits_durable
from orderfsm.persistence import Transaction, kept, open_engine

SYNCHRONOUS_FULL = 2


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Engine]:
    engine = open_engine(sqlite_url)
    yield engine
    engine.dispose()


def dbapi_of(tx: Transaction) -> Any:
    return tx.store.connection.connection.dbapi_connection


def committed(db: Engine) -> Any:
    """The DB-API connection an empty writing transaction ran on (committed)."""
    tx = Transaction(db, "test")
    with tx:
        raw = dbapi_of(tx)
        tx.commit()
    return raw


def test_the_next_writing_transaction_runs_on_the_connection_the_last_one_kept(db: Engine) -> None:
    first = committed(db)
    assert committed(db) is first
    assert db.pool.checkedout() == 1  # kept, not back in the pool


def test_a_transaction_that_failed_does_not_hand_on_its_connection(db: Engine) -> None:
    first = committed(db)
    with pytest.raises(RuntimeError), Transaction(db, "test") as tx:
        assert dbapi_of(tx) is first
        raise RuntimeError("a bug in the unit of work")
    assert db.pool.checkedout() == 0  # back in the pool, which resets it, not kept


def test_a_read_only_transaction_never_takes_the_kept_connection(db: Engine) -> None:
    first = committed(db)
    with Transaction(db, "test", read_only=True) as tx:
        assert dbapi_of(tx) is not first
    assert committed(db) is first


def test_a_checkout_listener_added_later_reaches_the_next_transaction(db: Engine) -> None:
    """The receiver makes a host's engine durable on checkout, after it was used."""
    first = committed(db)
    make_commits_durable(db)
    tx = Transaction(db, "test")
    with tx:
        raw = dbapi_of(tx)
        level = tx.store.connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
        tx.commit()
    assert level == SYNCHRONOUS_FULL
    assert raw is not first
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")  # the one kept before the listener was closed


def test_statement_listeners_added_later_see_the_kept_connection_s_statements(
    db: Engine,
) -> None:
    first = committed(db)
    seen: list[str] = []
    event.listen(db, "before_cursor_execute", lambda *args: seen.append(args[2]))
    tx = Transaction(db, "test")
    with tx:
        assert dbapi_of(tx) is first
        tx.store.connection.exec_driver_sql("SELECT 1")
        tx.commit()
    assert seen == ["BEGIN IMMEDIATE", "SELECT 1"]


def test_dispose_closes_the_kept_connection(db: Engine) -> None:
    first = committed(db)
    db.dispose()
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")
    assert committed(db) is not first


def test_no_more_than_keep_at_most_connections_are_kept(db: Engine) -> None:
    """Writers at once each take their own (SQLite lets one write at a time: taken directly)."""
    taken = [kept.take(db) for _ in range(kept.KEEP_AT_MOST + 2)]
    assert len({id(connection) for connection, _ in taken}) == len(taken)
    for connection, shelf in taken:
        kept.give_back(db, connection, shelf)
    # The pool (5) lent one beyond its size when the first came back: that one went back.
    assert db.pool.checkedout() == kept.KEEP_AT_MOST
    again = {id(kept.take(db)[0]) for _ in range(kept.KEEP_AT_MOST)}
    assert again < {id(connection) for connection, _ in taken}


def test_a_host_s_own_engine_goes_through_its_pool_as_configured(sqlite_url: str) -> None:
    """orderfsm keeps connections only on the engines it opened (no pre-ping, no recycle)."""
    host = create_engine(sqlite_url, pool_pre_ping=True)
    try:
        assert not kept.keeps(host)
        committed(host)
        assert host.pool.checkedout() == 0
    finally:
        host.dispose()
