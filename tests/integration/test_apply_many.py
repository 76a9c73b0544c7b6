"""Batched application (``Engine.apply_many``, journals) stores exactly what one by one stores.

Every comparison applies the same journal twice, once a line per transaction
and once in batches whose edges fall inside scenarios, then compares every
stored column that is not a clock or a surrogate key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from orderfsm.commands import CreateOrderResponse, Submit, WebhookEvent
from orderfsm.errors import OrderConflict, OrderNotFound, PayloadError
from orderfsm.fsm.outcomes import Outcome
from orderfsm.journal import JournalReport, apply_journal
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.samples.demo import demo_journal
from orderfsm.service import Engine

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

ORDER_COLUMNS = (
    "upstream_id, checkout_id, dr_order_id, state, fraud_state, charges, disputed, "
    "dispute_changed_at, dr_time, snapshot, version"
)
HISTORY_COLUMNS = "o.upstream_id, h.event_id, h.step, h.trigger, h.from_state, h.to_state, "
HISTORY_COLUMNS += "h.origin, h.event_type, h.dr_time, h.outcome, h.reason"


def lines(journal: list[Any]) -> Iterator[tuple[str, int, str]]:
    for number, line in enumerate(journal, start=1):
        yield "journal", number, line if isinstance(line, str) else json.dumps(line)


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Everything stored, in a comparable form (no ids, no recording clocks)."""
    queries = {
        "orders": f"SELECT {ORDER_COLUMNS} FROM orders ORDER BY upstream_id",
        "history": f"SELECT {HISTORY_COLUMNS} FROM order_history h "
        "JOIN orders o ON o.id = h.order_id ORDER BY h.id",
        "outbox": "SELECT o.upstream_id, x.effect, x.idempotency_key, x.payload, x.status "
        "FROM outbox x JOIN orders o ON o.id = x.order_id ORDER BY x.id",
        "parked": "SELECT event_id, event_type, body FROM parked_signals ORDER BY id",
    }
    with engine.db.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in queries.items()}


def apply(url: str, journal: list[Any], batch_size: int) -> tuple[JournalReport, dict[str, Any]]:
    with Engine.open(url, create_if_empty=True) as engine:
        report = apply_journal(engine, lines(journal), batch_size=batch_size)
        return report, contents(engine)


def troubled_journal() -> list[Any]:
    """The demo's scenarios, plus lines that fail in the middle of a batch."""
    journal: list[Any] = demo_journal(rounds=2)
    stranger = OrderSketch("DR-X", "CO-X", "UP-X", [Item("it-x", "sku-x", 1, 5.0, True)])
    accepted = stranger.order("accepted", T0, fraud_state="passed")
    journal[5:5] = [
        stranger.response(201, accepted),  # no such order yet: OrderNotFound inside the unit
        "{not json",
        {"id": "e-1", "type": "order.accepted", "data": {"object": {"id": 7}}, "createdTime": 1},
        {"kind": "submit", "upstreamId": "SHOP-0001", "checkoutId": "someone-else"},
    ]
    journal.append(stranger.event("order.accepted", accepted, T0 + timedelta(seconds=1)))
    journal.append(stranger.submit())
    return journal


@pytest.mark.parametrize("batch_size", [2, 7, 500])
def test_a_batched_journal_stores_exactly_what_one_line_per_transaction_stores(
    sqlite_url: str, tmp_path: Any, batch_size: int
) -> None:
    journal = troubled_journal()
    one_by_one = apply(f"sqlite:///{tmp_path / 'one.db'}", journal, batch_size=1)

    batched = apply(sqlite_url, journal, batch_size=batch_size)

    assert batched[0].errors == one_by_one[0].errors
    assert batched[0].outcomes == one_by_one[0].outcomes
    assert batched[1] == one_by_one[1]


def test_a_batch_inserts_its_new_orders_at_once_with_the_ids_one_by_one_gives(
    sqlite_url: str, tmp_path: Any
) -> None:
    """SQLite: new orders wait for the flush, under the ids SQLite itself gives them."""
    journal = troubled_journal()
    ids = "SELECT upstream_id, id FROM orders ORDER BY id"
    with Engine.open(f"sqlite:///{tmp_path / 'one.db'}", create_if_empty=True) as engine:
        apply_journal(engine, lines(journal), batch_size=1)
        with engine.db.connect() as conn:
            one_by_one = [tuple(r) for r in conn.execute(text(ids))]
    inserts: list[str] = []
    with Engine.open(sqlite_url, create_if_empty=True) as engine:

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO ORDERS "):
                inserts.append(statement)

        event.listen(engine.db, "before_cursor_execute", count)
        report = apply_journal(engine, lines(journal), batch_size=500)
        with engine.db.connect() as conn:
            batched = [tuple(r) for r in conn.execute(text(ids))]

    assert report.done == len(journal)
    assert len(one_by_one) > 3
    assert batched == one_by_one
    assert len(inserts) == 1


def test_lines_that_fail_inside_a_batch_are_reported_in_order_and_the_rest_apply(
    sqlite_url: str,
) -> None:
    report, stored = apply(sqlite_url, troubled_journal(), batch_size=500)

    assert [e.split(": ")[0] for e in report.errors] == [f"journal:{n}" for n in (6, 7, 8, 9)]
    assert "UP-X" in report.errors[0]
    assert "not JSON" in report.errors[1]
    assert "SHOP-0001" in report.errors[3]
    states = {row[0]: row[3] for row in stored["orders"]}
    assert states["UP-X"] == "accepted"


def test_apply_many_answers_each_command_and_gives_failures_as_values(sqlite_url: str) -> None:
    o = OrderSketch("DR1", "CO1", "UP1", [Item("it-1", "sku-1", 1, 5.0, False)])
    accepted = o.event("order.accepted", o.order("accepted", T0, fraud_state="passed"), T0)
    body = json.dumps(accepted)
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        answers = engine.apply_many(
            [
                Submit("UP1", "CO1"),
                WebhookEvent(body),
                WebhookEvent(body.encode()),
                Submit("UP1", "CO-other"),
                WebhookEvent("[]"),
            ]
        )
        view = engine.show("UP1")

    outcomes = [getattr(a, "outcome", None) for a in answers]
    assert outcomes[:3] == [Outcome.APPLIED, Outcome.APPLIED, Outcome.DUPLICATE]
    assert isinstance(answers[3], OrderConflict)
    assert isinstance(answers[4], PayloadError)
    assert view.state == "accepted"
    assert [h.outcome for h in view.history] == ["applied", "applied", "duplicate"]


def test_an_answer_for_an_unknown_order_fails_alone_and_its_neighbours_apply(
    sqlite_url: str,
) -> None:
    known = OrderSketch("DR1", "CO1", "UP1", [Item("it-1", "sku-1", 1, 5.0, False)])
    ghost = OrderSketch("DR2", "CO2", "UP2", [Item("it-2", "sku-2", 1, 5.0, False)])
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        answers = engine.apply_many(
            [
                Submit("UP1", "CO1"),
                CreateOrderResponse("UP2", 201, ghost.order("accepted", T0)),
                CreateOrderResponse("UP1", 201, known.order("in_review", T0)),
            ]
        )
        state = engine.show("UP1").state

    assert getattr(answers[0], "outcome", None) is Outcome.APPLIED
    assert isinstance(answers[1], OrderNotFound)
    assert getattr(answers[2], "outcome", None) is Outcome.APPLIED
    assert state == "in_review"


def test_a_batched_journal_on_postgresql_stores_what_one_by_one_stores(
    pg_schema_url: str, sqlite_url: str
) -> None:
    journal = troubled_journal()
    one_by_one = apply(pg_schema_url, journal, batch_size=1)
    with Engine.open(pg_schema_url) as engine, engine.db.begin() as conn:
        conn.execute(text("TRUNCATE orders, order_history, outbox, parked_signals CASCADE"))

    batched = apply(pg_schema_url, journal, batch_size=7)

    assert batched[0].errors == one_by_one[0].errors
    assert batched[1] == one_by_one[1]


def test_a_clean_journal_commits_once_per_batch(sqlite_url: str) -> None:
    journal = [line for line in demo_journal(rounds=2) if "type" not in line or "kind" in line]
    journal += [line for line in demo_journal(rounds=2) if "kind" not in line]
    commits: list[int] = []
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        event.listen(engine.db, "commit", lambda _conn: commits.append(1))
        report = apply_journal(engine, lines(journal), batch_size=10)

    assert report.ok
    assert len(commits) == -(-len(journal) // 10)


@pytest.mark.parametrize(
    ("backend", "commits"), [("sqlite", 1), pytest.param("postgres", 3, marks=pytest.mark.postgres)]
)
def test_a_batch_commits_right_after_a_unit_that_holds_identity_locks_on_postgresql(
    request: pytest.FixtureRequest, backend: str, commits: int
) -> None:
    # A submit locks its order's ids to attach parked events; on PostgreSQL a
    # parker only tries those locks and retries, so the batch must not keep
    # them while it runs further units. SQLite's one writer needs no such care.
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_schema_url")
    seen: list[int] = []
    with Engine.open(url, create_if_empty=True) as engine:
        event.listen(engine.db, "commit", lambda _conn: seen.append(1))
        answers = engine.apply_many([Submit(f"UP{n}", f"CO{n}") for n in range(3)])

    assert [getattr(a, "outcome", None) for a in answers] == [Outcome.APPLIED] * 3
    assert len(seen) == commits
