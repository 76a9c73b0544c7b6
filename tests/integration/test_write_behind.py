"""The write-behind repository answers as the database would, and sends its writes at flush."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine as DbEngine
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from orderfsm.errors import OrderNotFound
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import Repository, UnitOfWork, VersionConflict, open_engine, upgrade
from orderfsm.persistence.batch import run_batch
from orderfsm.persistence.write_behind import WriteBehind

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[DbEngine]:
    engine = open_engine(sqlite_url)
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        uow.repo.insert_order(
            upstream_id="UP1", checkout_id="CO1", state=OrderState.SUBMITTED, now=NOW
        )
        uow.commit()
    yield engine
    engine.dispose()


def history_row(order_id: int, event_id: str, outcome: str, step: int = 0) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "event_id": event_id,
        "step": step,
        "trigger": "accept",
        "from_state": "submitted",
        "to_state": "accepted",
        "origin": "webhook",
        "event_type": "order.accepted",
        "dr_time": NOW,
        "recorded_at": NOW,
        "outcome": outcome,
        "reason": None,
    }


def count(db: DbEngine, sql: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_a_change_not_saved_is_not_seen_by_the_next_read(db: DbEngine) -> None:
    with UnitOfWork(db) as uow:
        repo = WriteBehind(uow.repo.connection)
        order = repo.find_order(upstream_id="UP1")
        assert order is not None
        order.state = OrderState.ACCEPTED
        order.charges.append({"id": "ch-1", "state": "capturable"})

        again = repo.find_order(checkout_id="CO1")

    assert again is not None
    assert again.state is OrderState.SUBMITTED
    assert again.charges == []


def test_a_saved_change_is_read_back_at_once_and_stored_at_flush(db: DbEngine) -> None:
    with UnitOfWork(db) as uow:
        repo = WriteBehind(uow.repo.connection)
        order = repo.find_order(upstream_id="UP1")
        assert order is not None
        order.state, order.dr_order_id = OrderState.ACCEPTED, "DR1"
        repo.save_order(order, NOW)

        by_new_id = repo.find_order(dr_order_id="DR1")
        stored_before_flush = uow.repo.connection.execute(text("SELECT state FROM orders"))
        assert stored_before_flush.scalar_one() == "submitted"
        repo.flush()
        uow.commit()

    assert by_new_id is not None and by_new_id.state is OrderState.ACCEPTED
    assert count(db, "SELECT count(*) FROM orders WHERE state = 'accepted' AND version = 2") == 1


def test_saving_a_copy_read_before_another_save_is_a_version_conflict(db: DbEngine) -> None:
    with UnitOfWork(db) as uow:
        repo = WriteBehind(uow.repo.connection)
        first = repo.find_order(upstream_id="UP1")
        second = repo.find_order(upstream_id="UP1")
        assert first is not None and second is not None
        repo.save_order(first, NOW)

        with pytest.raises(VersionConflict):
            repo.save_order(second, NOW)


def test_an_events_first_application_in_the_batch_makes_it_seen(db: DbEngine) -> None:
    with UnitOfWork(db) as uow:
        repo = WriteBehind(uow.repo.connection)
        repo.prefetch(event_ids=["e-1", "e-2"])
        assert not repo.event_seen("e-1")

        repo.add_history([history_row(1, "e-1", "stale"), history_row(1, "e-2", "duplicate")])

        assert repo.event_seen("e-1")
        assert not repo.event_seen("e-2")


def test_the_database_still_refuses_a_second_application_at_flush(db: DbEngine) -> None:
    with UnitOfWork(db) as uow:
        repo = WriteBehind(uow.repo.connection)
        repo.add_history([history_row(1, "e-1", "applied"), history_row(1, "e-1", "applied")])

        with pytest.raises(IntegrityError):
            repo.flush()


def test_a_batch_that_fails_at_flush_is_redone_one_unit_at_a_time(db: DbEngine) -> None:
    alone: list[str] = []

    def unit(event_id: str) -> Any:
        def work(repo: Repository) -> str:
            repo.add_history([history_row(1, event_id, "applied")])
            return event_id

        return work

    def single(work: Any) -> str:
        with UnitOfWork(db) as uow:
            try:
                answer = str(work(uow.repo))
                uow.commit()
            except IntegrityError:
                answer = "refused by the unique index"
        alone.append(answer)
        return answer

    answers = run_batch(db, [unit("e-1"), unit("e-2"), unit("e-1")], single=single)

    assert answers == ["e-1", "e-2", "refused by the unique index"]
    assert alone == answers
    assert count(db, "SELECT count(*) FROM order_history") == 2


def test_a_unit_refused_with_a_domain_error_is_its_own_answer(db: DbEngine) -> None:
    numbers = iter(range(100))

    def found(repo: Repository) -> str:
        order = repo.find_order(upstream_id="UP1")
        assert order is not None
        repo.add_history([history_row(order.id, f"e-{next(numbers)}", "applied")])
        return "ok"

    def missing(repo: Repository) -> str:
        raise OrderNotFound("UP404")

    def single(work: Any) -> str:
        with UnitOfWork(db) as uow:
            answer = str(work(uow.repo))
            uow.commit()
            return answer

    answers = run_batch(db, [found, missing, found], single=single)

    assert answers[0] == "ok" and answers[2] == "ok"
    assert isinstance(answers[1], OrderNotFound)
    assert count(db, "SELECT count(*) FROM order_history") == 2
