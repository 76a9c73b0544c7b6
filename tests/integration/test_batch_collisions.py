"""A batch that collides with another worker is rolled back and redone one unit at a time.

On PostgreSQL, another transaction commits the first application of an event
the batch is about to flush (after the batch judged it unseen): the unique
index refuses the batch's history at flush. Nothing of the batch stays; each
unit runs alone and then sees the other worker's row, as a duplicate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from orderfsm.commands import Submit, WebhookEvent
from orderfsm.fsm.outcomes import Outcome
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def sketch(n: int) -> OrderSketch:
    return OrderSketch(f"DR{n}", f"CO{n}", f"UP{n}", [Item(f"it-{n}", "sku", 1, 5.0, True)])


@pytest.mark.postgres
def test_a_unique_violation_at_flush_redoes_the_batch_one_unit_at_a_time(
    pg_schema_url: str,
) -> None:
    first, other = sketch(1), sketch(2)
    accepted = first.event("order.accepted", first.order("accepted", T0, fraud_state="passed"), T0)
    with Engine.open(pg_schema_url, create_if_empty=True) as engine:
        engine.submit(other.upstream_id, other.checkout_id)
        rival = create_engine(engine.db.url, poolclass=NullPool)
        injected: list[str] = []

        def other_worker_commits_first(_c: Any, _cur: Any, sql: str, *_args: Any) -> None:
            if injected or not sql.startswith("INSERT INTO order_history"):
                return
            with rival.begin() as conn:  # another worker, its own transaction, committed
                conn.execute(
                    text(
                        "INSERT INTO order_history (order_id, event_id, step, trigger, origin, "
                        "recorded_at, outcome) SELECT id, :event, 0, 'accept', 'webhook', now(), "
                        "'applied' FROM orders WHERE upstream_id = :other"
                    ),
                    {"event": accepted["id"], "other": other.upstream_id},
                )
            injected.append(accepted["id"])

        event.listen(engine.db, "before_cursor_execute", other_worker_commits_first)
        answers = engine.apply_many(
            [Submit(first.upstream_id, first.checkout_id), WebhookEvent(None, accepted)]
        )
        rival.dispose()
        view = engine.show(first.upstream_id)

    assert injected == [accepted["id"]]
    outcomes = [getattr(answer, "outcome", answer) for answer in answers]
    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert view.state == "submitted" and view.effects == []
    assert [(h.trigger, h.outcome) for h in view.history] == [
        ("submit", Outcome.APPLIED),
        ("accept", Outcome.DUPLICATE),
    ]
