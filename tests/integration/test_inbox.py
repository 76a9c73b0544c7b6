"""The inbox on a real database: store, claim, apply through the engine, retry, dead-letter."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orderfsm import Engine
from orderfsm.inbox import InboxPolicy, apply_inbox
from orderfsm.persistence import InboxStatus
from orderfsm.persistence import inbox as store
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import ApplyResult
from tests.support.engines import engine_on_each_database  # noqa: F401  (the ``engine`` fixture)
from tests.support.events import accepted_event as accepted_body
from tests.support.processes import reap

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
NO_WAIT = InboxPolicy(retry_delay=timedelta(0), max_attempts=3)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(
        "sqlite_url" if request.param == "sqlite" else "pg_schema_url"
    )
    return url


def sketch(n: int) -> OrderSketch:
    return OrderSketch(f"dr-{n}", f"co-{n}", f"UP-{n}", [Item(f"it-{n}", "sku", 1, 5.0, True)])


def accepted_event(engine: Engine, n: int) -> dict[str, Any]:
    """Submit order ``n`` and return DR's ``order.accepted`` for it (not yet delivered)."""
    engine.submit(f"UP-{n}", f"co-{n}")
    return accepted_body(sketch(n), T0)


def receive(engine: Engine, event: dict[str, Any], *, at: datetime = T0) -> bool:
    return store.store_event(
        engine.db, event_id=event["id"], event_type=event["type"], body=json.dumps(event), now=at
    )


def entry(engine: Engine, event: dict[str, Any]) -> store.InboxEntry:
    found = store.find_entry(engine.db, event["id"])
    assert found is not None
    return found


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def unreadable_event(event_id: str) -> dict[str, Any]:
    """An envelope the receiver accepts but whose order DR's adapter cannot read."""
    return {"id": event_id, "type": "order.accepted", "data": {"object": {"id": 5}}}


class EngineFailingOn(Engine):
    """A real engine, except that one event id raises an unexpected error every time."""

    def __init__(self, engine: Engine, poisoned: str) -> None:
        super().__init__(engine.db)
        self.poisoned = poisoned

    def apply_event(self, body: bytes | str | Any) -> ApplyResult:
        if isinstance(body, str) and self.poisoned in body:
            raise RuntimeError("handler bug: cannot frobnicate")
        return super().apply_event(body)


def test_a_stored_event_goes_through_the_engine_and_is_marked_applied(engine: Engine) -> None:
    event = accepted_event(engine, 1)
    assert receive(engine, event) is True

    report = apply_inbox(engine)

    assert (report.claimed, report.applied, dict(report.outcomes)) == (1, 1, {"applied": 1})
    assert engine.show("UP-1").state == "accepted"
    stored = entry(engine, event)
    assert (stored.status, stored.attempts, stored.error) == (InboxStatus.APPLIED, 1, None)
    assert stored.processed_at is not None


def test_the_same_event_id_is_stored_once_and_keeps_its_first_body(engine: Engine) -> None:
    event = accepted_event(engine, 2)
    again = {**event, "type": "order.cancelled"}

    assert (receive(engine, event), receive(engine, again)) == (True, False)
    assert [e.event_type for e in store.entries(engine.db)] == ["order.accepted"]


def test_an_unreadable_event_is_dead_at_once_and_the_rest_of_the_batch_still_applies(
    engine: Engine,
) -> None:
    first, last = accepted_event(engine, 3), accepted_event(engine, 4)
    for event in (first, unreadable_event("evt-unreadable"), last):
        receive(engine, event)

    report = apply_inbox(engine)

    assert (report.applied, report.dead, report.retried) == (2, 1, 0)
    dead = store.find_entry(engine.db, "evt-unreadable")
    assert dead is not None and dead.status is InboxStatus.DEAD
    assert dead.error is not None and "createdTime: Field required" in dead.error
    assert [engine.show(up).state for up in ("UP-3", "UP-4")] == ["accepted", "accepted"]
    assert apply_inbox(engine).claimed == 0


def test_an_event_that_keeps_failing_is_retried_then_dead_after_max_attempts_without_blocking(
    engine: Engine,
) -> None:
    poisoned, healthy = accepted_event(engine, 5), accepted_event(engine, 6)
    receive(engine, poisoned)
    receive(engine, healthy)
    flaky = EngineFailingOn(engine, poisoned["id"])
    reports = [apply_inbox(flaky, NO_WAIT, clock=at(T0 + timedelta(minutes=i))) for i in range(4)]

    assert [(r.claimed, r.applied, r.retried, r.dead) for r in reports] == [
        (2, 1, 1, 0),
        (1, 0, 1, 0),
        (1, 0, 0, 1),
        (0, 0, 0, 0),
    ]
    dead = entry(engine, poisoned)
    assert (dead.status, dead.attempts) == (InboxStatus.DEAD, 3)
    assert dead.error == "RuntimeError: handler bug: cannot frobnicate"
    assert (engine.show("UP-5").state, engine.show("UP-6").state) == ("submitted", "accepted")


def test_a_failed_event_waits_out_its_backoff_before_the_next_attempt(engine: Engine) -> None:
    event = accepted_event(engine, 7)
    receive(engine, event)
    policy = InboxPolicy(retry_delay=timedelta(seconds=10), max_attempts=5)
    flaky = EngineFailingOn(engine, event["id"])

    first = apply_inbox(flaky, policy, clock=lambda: T0)
    too_soon = apply_inbox(flaky, policy, clock=lambda: T0 + timedelta(seconds=9))
    due = apply_inbox(flaky, policy, clock=lambda: T0 + timedelta(seconds=10))
    doubled_too_soon = apply_inbox(flaky, policy, clock=lambda: T0 + timedelta(seconds=29))
    doubled_due = apply_inbox(flaky, policy, clock=lambda: T0 + timedelta(seconds=30))

    claims = [r.claimed for r in (first, too_soon, due, doubled_too_soon, doubled_due)]
    assert claims == [1, 0, 1, 0, 1]


def test_a_dead_event_put_back_in_line_after_a_fix_is_applied(engine: Engine) -> None:
    event = accepted_event(engine, 8)
    receive(engine, event)
    apply_inbox(EngineFailingOn(engine, event["id"]), InboxPolicy(max_attempts=1))
    dead = entry(engine, event)
    assert dead.status is InboxStatus.DEAD

    back = store.retry(engine.db, dead.id)
    assert back is not None and (back.status, back.attempts) == (InboxStatus.RECEIVED, 0)
    report = apply_inbox(engine)

    assert report.applied == 1
    assert entry(engine, event).status is InboxStatus.APPLIED
    assert engine.show("UP-8").state == "accepted"


def test_retry_leaves_an_applied_event_alone(engine: Engine) -> None:
    event = accepted_event(engine, 9)
    receive(engine, event)
    apply_inbox(engine)

    after = store.retry(engine.db, entry(engine, event).id)

    assert after is not None and after.status is InboxStatus.APPLIED
    assert store.retry(engine.db, 10_000) is None


def test_a_claim_never_finished_is_taken_again_once_its_lease_runs_out(engine: Engine) -> None:
    event = accepted_event(engine, 10)
    receive(engine, event)
    lease = timedelta(minutes=5)
    # A worker claims and dies before applying anything.
    assert len(store.claim(engine.db, limit=10, lease=lease, now=T0)) == 1

    during = apply_inbox(engine, InboxPolicy(lease=lease), clock=lambda: T0 + timedelta(minutes=4))
    after = apply_inbox(engine, InboxPolicy(lease=lease), clock=lambda: T0 + timedelta(minutes=5))

    assert (during.claimed, after.claimed, after.applied) == (0, 1, 1)
    assert entry(engine, event).attempts == 2
    assert engine.show("UP-10").state == "accepted"


def test_the_backlog_counts_inbox_entries_by_status_and_outbox_rows(engine: Engine) -> None:
    for n in (11, 12):
        receive(engine, accepted_event(engine, n))
    receive(engine, unreadable_event("evt-backlog-unreadable"))
    apply_inbox(engine)
    receive(engine, accepted_event(engine, 13))

    with engine.db.connect() as connection:
        counts = store.backlog(connection)

    assert counts.inbox == {"received": 1, "applied": 2, "dead": 1}
    assert counts.outbox["pending"] == 4  # confirmation + shipment for each accepted order


WORKER = """
import sys, time
from pathlib import Path
from orderfsm import Engine
from orderfsm.inbox import InboxPolicy, drain_inbox
go = Path(sys.argv[2])
while not go.exists():  # start together, so the claims really race
    time.sleep(0.01)
with Engine.open(sys.argv[1]) as engine:
    print(drain_inbox(engine, InboxPolicy(batch_size=3), max_passes=1000).applied)
"""


def test_workers_in_separate_processes_share_the_inbox_and_apply_each_event_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    events = [accepted_event(engine, n) for n in range(100, 140)]
    for event in events:
        receive(engine, event)

    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, db_url, str(go)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    try:
        go.touch()
        applied = [int(w.communicate(timeout=240)[0].strip()) for w in workers]
    finally:
        for w in workers:
            reap(w)

    assert sum(applied) == len(events)
    entries = store.entries(engine.db, limit=1000)
    assert {(e.status, e.attempts) for e in entries} == {(InboxStatus.APPLIED, 1)}
    assert {engine.show(f"UP-{n}").state for n in range(100, 140)} == {"accepted"}
