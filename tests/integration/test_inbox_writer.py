"""The receiver's group insert, on SQLite and PostgreSQL: exact answers, faithful rows.

:class:`ReceiverDatabase.store_group` stores a group with one statement on
its writer thread's own DB-API connection (no SQLAlchemy transaction). What
it stores must read back through the inbox's SQLAlchemy code exactly as
before, and its answer must tell each new event id from one the inbox held
already, however they are mixed in the group.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from orderfsm.adapters.http.database import ReceiverDatabase
from orderfsm.persistence import inbox as store
from orderfsm.persistence import open_engine
from orderfsm.persistence.inbox import Delivery
from orderfsm.persistence.schema import upgrade


def _delivery(event_id: str, at: datetime | None = None) -> Delivery:
    body = json.dumps({"id": event_id, "type": "order.accepted"})
    return Delivery(event_id, "order.accepted", body, at or datetime.now(UTC))


@pytest.fixture
def database(db_url: str) -> Iterator[ReceiverDatabase]:
    engine = open_engine(db_url)
    upgrade(engine)
    database = ReceiverDatabase(engine)
    yield database
    database.close()
    engine.dispose()


def test_a_group_mixing_new_and_known_ids_tells_each_apart(database: ReceiverDatabase) -> None:
    assert database.store_group([_delivery("evt-a"), _delivery("evt-b")]) == {"evt-a", "evt-b"}

    group = [_delivery(n) for n in ("evt-x", "evt-a", "evt-y", "evt-b", "evt-z")]
    assert database.store_group(group) == {"evt-x", "evt-y", "evt-z"}
    assert database.store_group([_delivery("evt-a"), _delivery("evt-z")]) == set()
    # The last of the group known, the first new: the rows read back are the new ones.
    assert database.store_group([_delivery("evt-w"), _delivery("evt-x")]) == {"evt-w"}

    stored = sorted(entry.event_id for entry in store.entries(database.ready()))
    assert stored == ["evt-a", "evt-b", "evt-w", "evt-x", "evt-y", "evt-z"]


def test_the_rows_read_back_as_the_inbox_wrote_them(database: ReceiverDatabase) -> None:
    at = datetime(2026, 12, 2, 6, 30, 15, 123456, tzinfo=UTC)
    first, repeat = _delivery("evt-1", at), _delivery("evt-1", at + timedelta(seconds=1))
    second = Delivery("evt-2", "order.complete", '{"id": "evt-2", "é": "\\u0000"}', at)

    assert database.store_group([first, second, repeat]) == {"evt-1", "evt-2"}

    entries = {entry.event_id: entry for entry in store.entries(database.ready())}
    assert set(entries) == {"evt-1", "evt-2"}
    one, two = entries["evt-1"], entries["evt-2"]
    # The first of a repeated id is the one stored (its time, not the repeat's).
    assert (one.event_type, one.body, one.received_at) == (first.event_type, first.body, at)
    assert (two.event_type, two.body, two.received_at) == (second.event_type, second.body, at)
    assert (one.status.value, one.attempts, one.error, one.processed_at) == (
        "received",
        0,
        None,
        None,
    )
    # What a worker claims is what the receiver stored.
    claimed = store.claim(
        database.ready(), limit=10, lease=timedelta(minutes=1), now=at + timedelta(minutes=5)
    )
    assert sorted(entry.event_id for entry in claimed) == ["evt-1", "evt-2"]


def test_each_writer_thread_holds_one_connection_and_gives_it_back_on_close(
    database: ReceiverDatabase,
) -> None:
    engine = database.ready()
    answers: list[set[str]] = []

    def write(name: str) -> None:
        for n in range(3):
            answers.append(database.store_group([_delivery(f"evt-{name}-{n}")]))

    threads = [threading.Thread(target=write, args=(name,)) for name in ("p", "q")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(answer) for answer in answers) == [1] * 6
    assert engine.pool.checkedout() == 2  # type: ignore[attr-defined]

    database.close()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # Closed, it opens again on the next group.
    assert database.store_group([_delivery("evt-after")]) == {"evt-after"}
