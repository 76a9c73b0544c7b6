"""Which database errors the unit of work retries, with errors raised by the real servers.

On PostgreSQL a trigger makes the server itself fail the first attempts with
a chosen SQLSTATE (counted by a sequence, which a rollback does not undo), so
the engine sees exactly what psycopg 3 raises and SQLAlchemy wraps.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from orderfsm.errors import ContentionExhausted, StorageError
from orderfsm.fsm.outcomes import Outcome
from orderfsm.persistence import is_transient, open_engine, upgrade
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine, EngineConfig

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def fail_history_inserts(engine: Engine, sqlstate: str, times: int) -> None:
    """Make the server refuse the first ``times`` history inserts with ``sqlstate``."""
    with engine.db.begin() as connection:
        connection.execute(text("CREATE SEQUENCE injected_failures"))
        connection.execute(
            text(
                f"""
                CREATE FUNCTION fail_first_inserts() RETURNS trigger AS $$
                BEGIN
                    IF nextval('injected_failures') <= {times} THEN
                        RAISE EXCEPTION 'injected failure' USING ERRCODE = '{sqlstate}';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql
                """
            )
        )
        connection.execute(
            text(
                "CREATE TRIGGER fail_first_inserts BEFORE INSERT ON order_history "
                "FOR EACH ROW EXECUTE FUNCTION fail_first_inserts()"
            )
        )


def attempts(engine: Engine) -> int:
    with engine.db.connect() as connection:
        return int(
            connection.execute(text("SELECT last_value FROM injected_failures")).scalar_one()
        )


@pytest.fixture
def engine(pg_schema_url: str) -> Iterator[Engine]:
    # Bounded by the count alone here; the time floor has tests of its own below.
    config = EngineConfig(max_attempts=4, retry_for_s=0)
    with Engine.open(pg_schema_url, config=config, create_if_empty=True) as engine:
        yield engine


def accepted(engine: Engine) -> Outcome | None:
    o = OrderSketch("DR1", "CO1", "UP1", [Item("it-1", "sku-1", 1, 10.0, False)])
    return engine.apply_event(o.event("order.accepted", o.order("accepted", T0), T0)).outcome


@pytest.mark.parametrize(
    ("sqlstate", "psycopg_error"),
    [
        ("40001", psycopg.errors.SerializationFailure),
        ("40P01", psycopg.errors.DeadlockDetected),
        ("23505", psycopg.errors.UniqueViolation),
    ],
)
def test_a_unit_of_work_failing_with_a_conflict_sqlstate_is_retried_and_applies_once(
    engine: Engine, sqlstate: str, psycopg_error: type[Exception]
) -> None:
    engine.submit("UP1", "CO1")
    fail_history_inserts(engine, sqlstate, times=3)
    with engine.db.connect() as connection, pytest.raises(DBAPIError) as raised:
        connection.execute(text("INSERT INTO order_history DEFAULT VALUES"))
    assert isinstance(raised.value.orig, psycopg_error)
    assert is_transient(raised.value)

    assert accepted(engine) is Outcome.APPLIED
    assert attempts(engine) == 4  # the probe above, two refused attempts, the one that applied
    view = engine.show("UP1")
    assert view.state == "accepted"
    assert [h.outcome for h in view.history] == ["applied", "applied"]


def test_a_unit_of_work_failing_with_another_error_is_not_retried_and_changes_nothing(
    engine: Engine,
) -> None:
    engine.submit("UP1", "CO1")
    fail_history_inserts(engine, "23502", times=1)  # not_null_violation
    with pytest.raises(StorageError, match=r"^apply: database error: injected failure") as raised:
        accepted(engine)
    cause = raised.value.__cause__
    assert isinstance(cause, IntegrityError) and not is_transient(cause)
    assert not raised.value.connection_lost
    assert attempts(engine) == 1
    view = engine.show("UP1")
    assert view.state == "submitted" and view.effects == []


def test_a_unit_of_work_that_always_collides_gives_up_with_nothing_committed(
    engine: Engine,
) -> None:
    engine.submit("UP1", "CO1")
    fail_history_inserts(engine, "40001", times=100)
    with pytest.raises(ContentionExhausted, match="gave up after 4 attempts"):
        accepted(engine)
    assert attempts(engine) == 4
    assert engine.show("UP1").state == "submitted"


def test_a_unit_still_colliding_after_max_attempts_keeps_trying_for_retry_for_s(
    pg_schema_url: str,
) -> None:
    # Ten quick attempts last well under a second; a worker linking the order
    # can be kept off the CPU longer than that on a loaded machine.
    config = EngineConfig(max_attempts=2, retry_for_s=120)
    with Engine.open(pg_schema_url, config=config, create_if_empty=True) as engine:
        engine.submit("UP1", "CO1")
        fail_history_inserts(engine, "40001", times=8)
        assert accepted(engine) is Outcome.APPLIED
        assert attempts(engine) == 9  # eight refused, the ninth applied
        assert engine.show("UP1").state == "accepted"


def test_a_unit_gives_up_once_both_its_attempts_and_its_time_are_spent(
    pg_schema_url: str,
) -> None:
    config = EngineConfig(max_attempts=2, retry_for_s=0.5)
    with Engine.open(pg_schema_url, config=config, create_if_empty=True) as engine:
        engine.submit("UP1", "CO1")
        fail_history_inserts(engine, "40001", times=100_000)
        started = time.monotonic()
        with pytest.raises(ContentionExhausted) as gave_up:
            accepted(engine)
        took = time.monotonic() - started
        made = attempts(engine)
        assert took >= 0.5 and made > 2
        assert str(gave_up.value).startswith(f"gave up after {made} attempts")
        assert engine.show("UP1").state == "submitted"


def test_sqlite_busy_and_unique_failures_are_transient_but_not_null_is_not(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    db = open_engine(url)
    upgrade(db)
    impatient = create_engine(url, connect_args={"timeout": 0})
    try:
        with db.begin() as holder:
            holder.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"))
            with impatient.connect() as other, pytest.raises(DBAPIError) as busy:
                other.exec_driver_sql("BEGIN IMMEDIATE")
        assert isinstance(busy.value.orig, sqlite3.OperationalError)
        assert is_transient(busy.value)

        with db.begin() as connection:
            connection.execute(text("INSERT INTO probe VALUES (1, 'a')"))
        with db.begin() as connection, pytest.raises(IntegrityError) as unique:
            connection.execute(text("INSERT INTO probe VALUES (1, 'b')"))
        assert is_transient(unique.value)
        with db.begin() as connection, pytest.raises(IntegrityError) as not_null:
            connection.execute(text("INSERT INTO probe VALUES (2, NULL)"))
        assert not is_transient(not_null.value)
    finally:
        impatient.dispose()
        db.dispose()
