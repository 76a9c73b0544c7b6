"""Two workers racing on PostgreSQL (READ COMMITTED), with the interleaving forced.

Each test runs two engine calls in two threads and holds one of them right
after a chosen SQL statement (through SQLAlchemy's statement events, a public
seam), so the interleaving that breaks a naive engine happens every time.
SQLite needs no such test: ``BEGIN IMMEDIATE`` lets one writer in at a time,
so these interleavings cannot occur there (the subprocess test in
tests/e2e/test_concurrency.py runs the same stream on both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine as DbEngine
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from orderfsm.fsm.outcomes import Outcome
from orderfsm.fsm.refs import RefKind
from orderfsm.persistence.repository import Repository
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import ApplyResult, Engine
from tests.conftest import fresh_pg_schema
from tests.support.engines import engine_on_postgres  # noqa: F401  (the ``engine`` fixture)
from tests.support.events import accepted_event

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WAIT_S = 30


class Hold:
    """Hold the thread named ``worker`` right after its first statement that ``matches``."""

    def __init__(self, db: DbEngine, worker: str, matches: Callable[[str], bool]) -> None:
        self.worker = worker
        self.matches = matches
        self.reached = threading.Event()
        self.release = threading.Event()
        self.backend_pid: int | None = None
        """The PostgreSQL backend of the held transaction, once reached."""
        event.listen(db, "after_cursor_execute", self._after)

    def _after(self, *args: Any) -> None:
        statement: str = args[2]
        if (
            threading.current_thread().name == self.worker
            and not self.reached.is_set()
            and self.matches(statement)
        ):
            self.backend_pid = args[0].connection.dbapi_connection.info.backend_pid
            self.reached.set()
            assert self.release.wait(WAIT_S), "the test never released the held worker"


class Seen:
    """Set once the thread named ``worker`` is about to run a statement that ``matches``."""

    def __init__(self, db: DbEngine, worker: str, matches: Callable[[str], bool]) -> None:
        self.worker = worker
        self.matches = matches
        self.happened = threading.Event()
        event.listen(db, "before_cursor_execute", self._before)

    def _before(self, *args: Any) -> None:
        if threading.current_thread().name == self.worker and self.matches(args[2]):
            self.happened.set()


def runs(statement: str, *fragments: str) -> bool:
    flat = " ".join(statement.split())
    return all(fragment in flat for fragment in fragments)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="worker") as pool:
        yield pool


def in_worker(
    pool: ThreadPoolExecutor, name: str, call: Callable[[], ApplyResult]
) -> Future[ApplyResult]:
    def named() -> ApplyResult:
        threading.current_thread().name = name
        return call()

    return pool.submit(named)


def sketch() -> OrderSketch:
    return OrderSketch("DR1", "CO1", "UP1", [Item("it-1", "sku-1", 1, 10.0, True)])


def wait_for_lock_waiter(engine: Engine, held: Hold) -> None:
    """Return once a backend waits for a lock the ``held`` transaction holds.

    Only that one: the server is shared with the other xdist workers' tests,
    whose waits (counted before: any ungranted lock on the server) must not
    release the held worker before its rival is really waiting.
    """
    assert held.backend_pid is not None
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND :held = ANY(pg_blocking_pids(pid))"
    )
    for _ in range(WAIT_S * 100):
        with engine.db.connect() as connection:
            if connection.execute(waiting, {"held": held.backend_pid}).scalar():
                return
        threading.Event().wait(0.01)
    raise AssertionError("no worker ever waited for a lock")


def applied_rows(engine: Engine, event_id: str) -> int:
    return sum(
        1
        for h in engine.show("UP1").history
        if h.event_id == event_id and h.step == 0 and h.outcome == Outcome.APPLIED
    )


def test_an_event_parked_while_its_order_is_being_submitted_is_applied_not_stranded(
    engine: Engine, pool: ThreadPoolExecutor
) -> None:
    # The submit has inserted the order and looked for parked events (none
    # yet); before it commits, the event arrives, cannot see the order, and
    # would park where the submit will never look again.
    o = sketch()
    submit_held = Hold(engine.db, "submit", lambda s: runs(s, "FROM parked_signals", "FOR UPDATE"))
    event_tried = Seen(
        engine.db,
        "event",
        lambda s: runs(s, "pg_try_advisory_xact_lock") or runs(s, "INSERT INTO parked_signals"),
    )
    submitted = in_worker(pool, "submit", lambda: engine.submit(o.upstream_id, o.checkout_id))
    assert submit_held.reached.wait(WAIT_S)
    body = accepted_event(o, T0 + timedelta(minutes=1))
    applied = in_worker(pool, "event", lambda: engine.apply_event(body))
    assert event_tried.happened.wait(WAIT_S)
    submit_held.release.set()

    assert submitted.result(WAIT_S).outcome is Outcome.APPLIED
    assert applied.result(WAIT_S).outcome is Outcome.APPLIED
    view = engine.show("UP1")
    assert view.state == "accepted"
    assert applied_rows(engine, body["id"]) == 1
    assert {e.type for e in view.effects} >= {"send_order_confirmation", "request_shipment"}


def test_a_submit_racing_an_event_that_is_parking_attaches_it(
    engine: Engine, pool: ThreadPoolExecutor
) -> None:
    # The event has parked (not yet committed) when the submit looks for
    # parked events: the submit must wait for it, not look past it.
    o = sketch()
    body = accepted_event(o, T0 + timedelta(minutes=1))
    event_held = Hold(engine.db, "event", lambda s: runs(s, "INSERT INTO parked_signals"))
    parked = in_worker(pool, "event", lambda: engine.apply_event(body))
    assert event_held.reached.wait(WAIT_S)
    submitted = in_worker(pool, "submit", lambda: engine.submit(o.upstream_id, o.checkout_id))
    wait_for_lock_waiter(engine, event_held)
    event_held.release.set()

    assert parked.result(WAIT_S).outcome is Outcome.PARKED
    assert submitted.result(WAIT_S).outcome is Outcome.APPLIED
    view = engine.show("UP1")
    assert view.state == "accepted"
    assert [h.outcome for h in view.history] == ["applied", "parked", "applied"]


def test_two_deliveries_parking_the_same_event_end_as_parked_and_duplicate(
    engine: Engine, pool: ThreadPoolExecutor
) -> None:
    # The second delivery checked "seen?" before the first committed its
    # parked row; its own insert then breaks the unique event id, and the
    # retry must see a duplicate.
    o = sketch()
    body = accepted_event(o, T0 + timedelta(minutes=1))
    second_held = Hold(engine.db, "second", lambda s: runs(s, "FROM parked_signals", "EXISTS"))
    second = in_worker(pool, "second", lambda: engine.apply_event(body))
    assert second_held.reached.wait(WAIT_S)
    first = in_worker(pool, "first", lambda: engine.apply_event(body))
    assert first.result(WAIT_S).outcome is Outcome.PARKED
    second_held.release.set()
    assert second.result(WAIT_S).outcome is Outcome.DUPLICATE

    engine.submit(o.upstream_id, o.checkout_id)
    assert engine.show("UP1").state == "accepted"
    assert applied_rows(engine, body["id"]) == 1


def test_a_duplicate_delivered_while_the_first_holds_the_order_is_recorded_as_duplicate(
    engine: Engine, pool: ThreadPoolExecutor
) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    body = accepted_event(o, T0 + timedelta(minutes=1))
    first_held = Hold(engine.db, "first", lambda s: runs(s, "INSERT INTO outbox"))
    first = in_worker(pool, "first", lambda: engine.apply_event(body))
    assert first_held.reached.wait(WAIT_S)
    second = in_worker(pool, "second", lambda: engine.apply_event(body))
    wait_for_lock_waiter(engine, first_held)
    first_held.release.set()

    assert first.result(WAIT_S).outcome is Outcome.APPLIED
    assert second.result(WAIT_S).outcome is Outcome.DUPLICATE
    assert applied_rows(engine, body["id"]) == 1
    assert [e.type for e in engine.show("UP1").effects].count("send_order_confirmation") == 1


def test_two_concurrent_submits_of_one_order_end_as_applied_and_duplicate(
    engine: Engine, pool: ThreadPoolExecutor
) -> None:
    first_held = Hold(engine.db, "first", lambda s: runs(s, "INSERT INTO order_history"))
    first = in_worker(pool, "first", lambda: engine.submit("UP1", "CO1"))
    assert first_held.reached.wait(WAIT_S)
    second = in_worker(pool, "second", lambda: engine.submit("UP1", "CO1"))
    wait_for_lock_waiter(engine, first_held)
    first_held.release.set()

    assert first.result(WAIT_S).outcome is Outcome.APPLIED
    assert second.result(WAIT_S).outcome is Outcome.DUPLICATE
    assert [h.outcome for h in engine.show("UP1").history] == ["applied"]


def test_a_submit_that_sees_its_own_order_committed_between_two_lookups_is_a_duplicate(
    engine: Engine, pool: ThreadPoolExecutor
) -> None:
    # READ COMMITTED: the lookup by upstream id found nothing, the same
    # order's other submit commits, the lookup by checkout id then finds it.
    first_held = Hold(
        engine.db, "first", lambda s: runs(s, "FROM orders", "upstream_id =", "FOR UPDATE")
    )
    first = in_worker(pool, "first", lambda: engine.submit("UP1", "CO1"))
    assert first_held.reached.wait(WAIT_S)
    assert in_worker(pool, "second", lambda: engine.submit("UP1", "CO1")).result(
        WAIT_S
    ).outcome is (Outcome.APPLIED)
    first_held.release.set()

    assert first.result(WAIT_S).outcome is Outcome.DUPLICATE
    assert [h.outcome for h in engine.show("UP1").history] == ["applied"]


def test_an_identity_lock_holds_within_its_schema_only(engine: Engine, postgres_url: str) -> None:
    # Advisory locks belong to the whole server: without the schema in the key,
    # the same checkout id in another schema (another tenant, or another
    # xdist worker's test) made a parking event collide until it gave up.
    identity = (RefKind.CHECKOUT_ID, "CO1")
    with fresh_pg_schema(postgres_url) as other_url:
        other_db = create_engine(other_url, poolclass=NullPool)
        try:
            with (
                engine.db.connect() as holder,
                engine.db.connect() as same_schema,
                other_db.connect() as other_schema,
            ):
                assert Repository(holder).lock_identities([identity], wait=False)
                assert not Repository(same_schema).lock_identities([identity], wait=False)
                assert Repository(other_schema).lock_identities([identity], wait=False)
                holder.rollback()
                assert Repository(same_schema).lock_identities([identity], wait=False)
        finally:
            other_db.dispose()
