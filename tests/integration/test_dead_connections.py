"""PostgreSQL connections that die while pooled or in use, on the shared server.

The pool sends no ``SELECT 1`` before each transaction (``pool_pre_ping``
is off): a connection the server ended while it sat in the pool is seen at
checkout without a round trip, and a unit of work whose connection breaks
before its ``COMMIT`` runs once more on a fresh one. Backends are ended with
``pg_terminate_backend`` from another connection, which is what a server
restart does to them; the server itself is never stopped (the outage tests
in tests/e2e restart a private one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from orderfsm.errors import StorageError
from orderfsm.fsm.outcomes import Outcome
from orderfsm.persistence import Transaction, kept
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine
from tests.support.events import accepted_event

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORDER = OrderSketch("DR1", "CO1", "UP1", [Item("it-1", "sku-1", 1, 10.0, False)])


@pytest.fixture
def engine(pg_schema_url: str) -> Iterator[Engine]:
    with Engine.open(pg_schema_url, create_if_empty=True) as engine:
        yield engine


@pytest.fixture
def terminator(postgres_url: str) -> Iterator[Terminator]:
    admin = create_engine(postgres_url, poolclass=NullPool)
    try:
        yield Terminator(admin)
    finally:
        admin.dispose()


class Terminator:
    """Ends a backend from another connection and waits until it is gone."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.ended: list[int] = []

    def end(self, pid: int) -> None:
        alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        with self.admin.connect() as connection:
            deadline = time.monotonic() + 60
            connection.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
            # pg_stat_activity is read once per transaction: each look is a new one.
            while connection.execute(alive, {"pid": pid}).scalar_one():
                connection.rollback()
                assert time.monotonic() < deadline, f"backend {pid} never ended"
                time.sleep(0.01)
        self.ended.append(pid)


def backend_pid(dbapi_connection: Any) -> int:
    return int(dbapi_connection.info.backend_pid)


def test_the_pool_sends_no_ping_before_a_transaction(engine: Engine) -> None:
    # The ping goes through the dialect's do_ping, which statement events do not see.
    pings: list[object] = []
    dialect = engine.db.dialect
    real_ping = dialect.do_ping
    dialect.do_ping = lambda connection: pings.append(connection) or real_ping(connection)  # type: ignore[method-assign]
    engine.submit("UP1", "CO1")
    assert engine.apply_event(accepted_event(ORDER, T0)).outcome is Outcome.APPLIED
    assert pings == []


def test_a_pooled_connection_the_server_ended_is_replaced_at_checkout(
    engine: Engine, terminator: Terminator
) -> None:
    engine.submit("UP1", "CO1")
    kept.release_all(engine.db)  # the next unit of work checks out of the pool, as a first one does
    with engine.db.connect() as connection:
        first = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
    terminator.end(first)  # the connection is back in the pool, its backend gone

    failures: list[BaseException] = []
    event.listen(engine.db, "handle_error", lambda context: failures.append(context))
    assert engine.apply_event(accepted_event(ORDER, T0)).outcome is Outcome.APPLIED
    assert failures == []  # found at checkout, not by a failed statement
    with engine.db.connect() as connection:
        now = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
    assert now != first
    assert engine.show("UP1").state == "accepted"


def test_a_kept_connection_the_server_ended_is_replaced_before_reuse(
    engine: Engine, terminator: Terminator
) -> None:
    """A writing transaction's connection is kept for the next (persistence/kept.py), not pooled.

    The next one checks it as the pool's checkout would: a backend gone
    while it was kept is seen without a failed statement.
    """
    pids: list[int] = []

    def begun(connection: Any) -> None:
        pids.append(backend_pid(connection.connection.dbapi_connection))

    event.listen(engine.db, "begin", begun)
    engine.submit("UP1", "CO1")
    (first,) = pids
    terminator.end(first)

    failures: list[BaseException] = []
    event.listen(engine.db, "handle_error", lambda context: failures.append(context))
    assert engine.apply_event(accepted_event(ORDER, T0)).outcome is Outcome.APPLIED
    assert failures == []
    assert first not in pids[1:]
    assert engine.show("UP1").state == "accepted"


def test_a_lost_connection_closes_every_kept_one_and_the_retry_checks_out_afresh(
    engine: Engine, terminator: Terminator
) -> None:
    """SQLAlchemy renews the pool after a lost connection; the kept ones go with it."""
    engine.submit("UP1", "CO1")
    kept.release_all(engine.db)
    first, second = Transaction(engine.db, "test"), Transaction(engine.db, "test")
    with first, second:
        earlier = {
            backend_pid(t.store.connection.connection.dbapi_connection) for t in (first, second)
        }
        first.commit()
        second.commit()
    ender = EndAtBegin(engine, terminator, times=1)
    assert engine.apply_event(accepted_event(ORDER, T0)).outcome is Outcome.APPLIED
    (ended,) = ender.pids
    assert ended in earlier  # the unit took a kept connection, which broke before COMMIT
    alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
    (other,) = earlier - {ended}
    with terminator.admin.connect() as connection:
        deadline = time.monotonic() + 30
        while connection.execute(alive, {"pid": other}).scalar_one():
            connection.rollback()
            assert time.monotonic() < deadline, "the other kept connection was never closed"
            time.sleep(0.01)
    assert engine.show("UP1").state == "accepted"


class EndAtBegin:
    """Ends the backend of the next ``times`` transactions as they begin, after checkout.

    The socket is still open when the first statement is sent (on the DB-API
    cursor: nobody listens for statements): what a server that died after the
    checkout looks like.
    """

    def __init__(self, engine: Engine, terminator: Terminator, times: int) -> None:
        self.terminator = terminator
        self.left = times
        self.pids: list[int] = []
        event.listen(engine.db, "begin", self._begin)

    def _begin(self, connection: Any) -> None:
        if threading.current_thread() is not threading.main_thread() or self.left == 0:
            return
        pid = backend_pid(connection.connection.dbapi_connection)
        self.pids.append(pid)
        self.left -= 1
        self.terminator.end(pid)


def test_a_unit_whose_connection_breaks_before_commit_runs_once_more_and_applies_once(
    engine: Engine, terminator: Terminator
) -> None:
    engine.submit("UP1", "CO1")
    ender = EndAtBegin(engine, terminator, times=1)
    assert engine.apply_event(accepted_event(ORDER, T0)).outcome is Outcome.APPLIED
    assert len(ender.pids) == 1
    view = engine.show("UP1")
    assert view.state == "accepted"
    assert [h.outcome for h in view.history] == ["applied", "applied"]
    assert len(view.effects) == len({e.key for e in view.effects})


def test_a_second_broken_connection_in_a_row_is_a_storage_error(
    engine: Engine, terminator: Terminator
) -> None:
    engine.submit("UP1", "CO1")
    ender = EndAtBegin(engine, terminator, times=2)
    with pytest.raises(StorageError, match=r"^apply: ") as raised:
        engine.apply_event(accepted_event(ORDER, T0))
    assert raised.value.connection_lost
    assert len(ender.pids) == 2
    assert "\n" not in str(raised.value)
    assert engine.show("UP1").state == "submitted"


def test_a_connection_lost_at_commit_is_not_run_again(
    engine: Engine, terminator: Terminator
) -> None:
    """A broken ``COMMIT`` may have committed: it is reported, never retried."""
    engine.submit("UP1", "CO1")
    ended: list[int] = []

    def end_before_commit(connection: Any) -> None:
        if not ended:
            pid = backend_pid(connection.connection.dbapi_connection)
            ended.append(pid)
            terminator.end(pid)

    event.listen(engine.db, "commit", end_before_commit)
    with pytest.raises(StorageError, match=r"^apply: ") as raised:
        engine.apply_event(accepted_event(ORDER, T0))
    assert raised.value.connection_lost
    assert len(ended) == 1
    event.remove(engine.db, "commit", end_before_commit)
    assert engine.show("UP1").state == "submitted"  # ended before COMMIT reached the server
