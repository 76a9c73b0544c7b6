"""Reads take no writer lock on SQLite, and ``orders()`` holds no transaction between yields.

A raw ``sqlite3`` connection with no busy timeout probes the writer lock:
``BEGIN IMMEDIATE`` fails at once with "database is locked" while anyone
else holds it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orderfsm.commands import Submit
from orderfsm.fsm.outcomes import Outcome
from orderfsm.service import Engine
from orderfsm.service.engine import ORDERS_PAGE


def database_file(engine: Engine) -> Path:
    name = engine.db.url.database
    assert name is not None
    return Path(name)


def writer_lock_is_free(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        probe.close()
    return True


def test_show_reads_while_another_writer_holds_the_lock(engine: Engine) -> None:
    engine.submit("UP1", "CO1")
    writer = sqlite3.connect(database_file(engine), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE orders SET state = 'accepted' WHERE upstream_id = 'UP1'")
        assert not writer_lock_is_free(database_file(engine))

        view = engine.show("UP1")  # would queue for the writer lock if it asked for it
    finally:
        writer.rollback()
        writer.close()

    assert view.state == "submitted"  # what was committed, not the writer's pending change


def test_orders_hold_no_lock_between_pages_and_yield_every_order_oldest_first(
    engine: Engine,
) -> None:
    count = ORDERS_PAGE + 1
    submits = [Submit(f"UP{n:04}", f"CO{n:04}") for n in range(count)]
    assert {r.outcome for r in engine.apply_many(submits)} == {Outcome.APPLIED}  # type: ignore[union-attr]

    seen: list[str] = []
    for view in engine.orders():
        if len(seen) in (0, ORDERS_PAGE - 1, ORDERS_PAGE):
            # The caller holds a view; nothing holds the database.
            assert writer_lock_is_free(database_file(engine))
            engine.submit(f"LATE{len(seen)}", f"LATE-CO{len(seen)}")
        seen.append(view.upstream_id)

    assert seen[:count] == [s.upstream_id for s in submits]
    # Orders submitted meanwhile are seen when their page is read after them;
    # the last one came after the last page was read.
    assert seen[count:] == ["LATE0", f"LATE{ORDERS_PAGE - 1}"]
    assert engine.show(f"LATE{ORDERS_PAGE}").state == "submitted"
