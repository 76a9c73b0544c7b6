"""Group commit: deliveries waiting together share one transaction, and its fate.

The committer runs against a real SQLite file through the receiver's own
:class:`ReceiverDatabase`. The first group is held inside its transaction
(a gate in the store) so that the deliveries sent meanwhile are all waiting
when it ends: they must form the next group, answered only after its commit;
a commit that fails answers every request of its group with the error, and
stores none of them.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError

from orderfsm.adapters.http.database import ReceiverDatabase
from orderfsm.adapters.http.group_commit import GroupCommitter
from orderfsm.persistence import inbox as store
from orderfsm.persistence import open_engine
from orderfsm.persistence.inbox import Delivery
from orderfsm.persistence.schema import upgrade

SENDERS = 20


def _delivery(event_id: str) -> Delivery:
    return Delivery(event_id, "order.accepted", json.dumps({"id": event_id}), datetime.now(UTC))


class GatedStore:
    """The receiver's store, recording each group; the first group waits for ``release``."""

    def __init__(self, database: ReceiverDatabase) -> None:
        self.database = database
        self.groups: list[list[str]] = []
        self.release = threading.Event()

    def __call__(self, deliveries: Sequence[Delivery]) -> set[str]:
        self.groups.append([delivery.event_id for delivery in deliveries])
        if len(self.groups) == 1:
            assert self.release.wait(30)
        return self.database.store_group(deliveries)


async def _burst(committer: GroupCommitter, gate: GatedStore) -> list[bool | BaseException]:
    first = asyncio.ensure_future(committer.store(_delivery("evt-first")))
    while not gate.groups:  # the writer holds the first group
        await asyncio.sleep(0.01)
    rest = [asyncio.ensure_future(committer.store(_delivery(f"evt-{n}"))) for n in range(SENDERS)]
    rest.append(asyncio.ensure_future(committer.store(_delivery("evt-0"))))  # a repeat
    await asyncio.sleep(0.1)
    assert not any(answer.done() for answer in rest), "answered before its commit"
    gate.release.set()
    answers = await asyncio.gather(first, *rest, return_exceptions=True)
    return list(answers)


@pytest.fixture
def database(sqlite_url: str) -> Any:
    engine = open_engine(sqlite_url)
    upgrade(engine)
    yield ReceiverDatabase(engine)
    engine.dispose()


def test_deliveries_waiting_together_are_stored_in_one_transaction(
    database: ReceiverDatabase,
) -> None:
    gate = GatedStore(database)
    committer = GroupCommitter(gate)
    try:
        answers = asyncio.run(_burst(committer, gate))
    finally:
        committer.close()

    assert gate.groups[0] == ["evt-first"]
    assert gate.groups[1] == [*(f"evt-{n}" for n in range(SENDERS)), "evt-0"]
    # Stored, except the repeat of evt-0 in the same group: a duplicate.
    assert answers == [True] * (SENDERS + 1) + [False]
    stored = {entry.event_id for entry in store.entries(database.ready())}
    assert stored == {"evt-first", *(f"evt-{n}" for n in range(SENDERS))}


def test_a_failed_commit_answers_every_request_of_its_group_and_stores_none(
    database: ReceiverDatabase,
) -> None:
    engine = database.ready()
    gate = GatedStore(database)
    failing = {"on": False}

    def fail_the_commit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # SQLite's own abort: while failing, every statement (the group's one
        # insert is its transaction and commit) is interrupted and rolled back,
        # an OperationalError ("interrupted"), whatever path runs it.
        dbapi_connection.set_progress_handler(lambda: 1 if failing["on"] else 0, 1)

    event.listen(engine, "checkout", fail_the_commit)
    committer = GroupCommitter(gate)
    original = gate.release.set

    def release_into_a_failing_commit() -> None:
        failing["on"] = True
        original()

    gate.release.set = release_into_a_failing_commit  # type: ignore[method-assign]
    try:
        answers = asyncio.run(_burst(committer, gate))
        failing["on"] = False
        after = asyncio.run(committer.store(_delivery("evt-after")))
    finally:
        committer.close()

    # The first group was held in its transaction when the failure began: it fails too.
    assert len(gate.groups[1]) == SENDERS + 1
    assert all(isinstance(answer, OperationalError) for answer in answers)
    assert after is True
    assert {entry.event_id for entry in store.entries(engine)} == {"evt-after"}


def test_a_row_the_database_refuses_fails_alone_and_its_group_is_stored(
    database: ReceiverDatabase,
) -> None:
    engine = database.ready()
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON inbox "
            "WHEN NEW.event_id = 'evt-7' BEGIN SELECT RAISE(ABORT, 'refused row'); END"
        )
    gate = GatedStore(database)
    committer = GroupCommitter(gate, alone_may_pass=database.alone_may_pass)
    try:
        answers = asyncio.run(_burst(committer, gate))
    finally:
        committer.close()

    # The group failed as one, then each of its deliveries was stored alone.
    assert len(gate.groups[1]) == SENDERS + 1
    assert [len(group) for group in gate.groups[2:]] == [1] * (SENDERS + 1)
    # answers: evt-first, evt-0 .. evt-19, then evt-0 again (a duplicate).
    assert isinstance(answers[8], IntegrityError)
    assert answers[:8] + answers[9:] == [True] * SENDERS + [False]
    stored = {entry.event_id for entry in store.entries(engine)}
    assert stored == {"evt-first", *(f"evt-{n}" for n in range(SENDERS) if n != 7)}


def test_a_request_cancelled_while_its_group_commits_leaves_the_group_alone(
    database: ReceiverDatabase,
) -> None:
    gate = GatedStore(database)
    committer = GroupCommitter(gate)

    async def burst() -> list[bool | BaseException]:
        first = asyncio.ensure_future(committer.store(_delivery("evt-first")))
        while not gate.groups:  # the writer holds the first group
            await asyncio.sleep(0.01)
        rest = [asyncio.ensure_future(committer.store(_delivery(f"evt-{n}"))) for n in range(3)]
        await asyncio.sleep(0.05)
        rest[1].cancel()  # its client left while the group waits
        await asyncio.sleep(0.05)
        gate.release.set()
        return list(await asyncio.gather(first, *rest, return_exceptions=True))

    try:
        answers = asyncio.run(burst())
    finally:
        committer.close()

    assert answers[:2] + answers[3:] == [True, True, True]
    assert isinstance(answers[2], asyncio.CancelledError)
    assert gate.groups[1] == ["evt-0", "evt-1", "evt-2"]
    # The cancelled request's delivery was stored with its group all the same.
    stored = {entry.event_id for entry in store.entries(database.ready())}
    assert stored == {"evt-first", "evt-0", "evt-1", "evt-2"}
