"""Any split of DR's events between webhooks and reconcile runs ends as webhooks alone would.

DR's history is made once, against the sandbox over real HTTP (orders of every fate).
Each example replays it: DR reveals its events one at a time; webhooks deliver some of
those revealed (any of them, in any order, some twice, others never) into the inbox the
receiver fills; reconcile runs (GET /events pages from the sandbox, the stored cursor and
its overlap) come at any point, and a last one at the end; a worker drains the inbox
after every step. The outcome (orders, every history row, the outbox) must be the one
of webhooks alone delivering the events in the order they first arrived, and every
order must end in DR's state. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderfsm import Engine
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.commands import Command, CreateOrderResponse, Submit
from orderfsm.errors import OrderFsmError
from orderfsm.inbox import drain_inbox
from orderfsm.persistence import inbox as store
from orderfsm.sandbox import RunningSandbox
from orderfsm.service.reconcile import reconcile
from orderfsm.testing.scratch import empty
from tests.conftest import fresh_pg_schema
from tests.dr_helpers import sandbox_and_client

FATES = (
    "accepted",
    "review_then_accepted",
    "pending_then_accepted",
    "review_then_blocked",
    "fraud_blocked",
    "payment_failed",
)
REVEAL, RECONCILE = "reveal", "reconcile"


@dataclass(frozen=True)
class History:
    """What DR did: its answers to ``POST /orders`` and its events, in creation order."""

    answers: tuple[tuple[str, str, int, dict[str, Any]], ...]
    events: tuple[dict[str, Any], ...]
    final_states: dict[str, str]
    """DR's order id -> DR's last state."""


@pytest.fixture(scope="module")
def dr() -> Iterator[tuple[RunningSandbox, DrClient, History]]:
    with sandbox_and_client() as (sandbox, client):
        answers = []
        for number, fate in enumerate(FATES * 2):
            checkout = f"{fate}-{number}"
            answer = client.create_order(checkout)
            answers.append((f"SHOP-{number}", checkout, answer.status, answer.body))
        events = tuple(sandbox.state.events)
        finals = {o.id: o.state for o in sandbox.state.orders.values()}
        yield sandbox, client, History(tuple(answers), events, finals)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engines(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[Engine, Engine]]:
    """Two engines (the split run's, webhooks alone's), kept for every example."""
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / name}.db" for name in ("split", "alone")]
        with (
            Engine.open(urls[0], create_if_empty=True) as split,
            Engine.open(urls[1], create_if_empty=True) as alone,
        ):
            yield split, alone
        return
    base = request.getfixturevalue("postgres_url")
    with (
        fresh_pg_schema(base) as first,
        fresh_pg_schema(base) as second,
        Engine.open(first, create_if_empty=True) as split,
        Engine.open(second, create_if_empty=True) as alone,
    ):
        yield split, alone


def emptied(engine: Engine) -> Engine:
    """Every table of ``engine`` without rows (the schema kept)."""
    if engine.db.dialect.name == "sqlite":
        empty(engine.db)
        return engine
    meta = sa.MetaData()
    meta.reflect(engine.db)
    with engine.db.begin() as connection:  # children first; DELETE beats TRUNCATE on tiny tables
        for table in reversed(meta.sorted_tables):
            if table.name != "alembic_version":
                connection.execute(table.delete())
    return engine


def platform_side(engine: Engine, history: History) -> None:
    """The platform's submits and DR's answers to its ``POST /orders`` (one transaction)."""
    commands: list[Command] = []
    for upstream_id, checkout_id, status, body in history.answers:
        commands += [
            Submit(upstream_id, checkout_id),
            CreateOrderResponse(upstream_id, status, body),
        ]
    assert not [a for a in engine.apply_many(commands) if isinstance(a, OrderFsmError)]


def deliver(engine: Engine, event: dict[str, Any]) -> None:
    """A webhook, as the receiver stores it (a duplicate is refused by the inbox)."""
    store.store_event(
        engine.db,
        event_id=str(event["id"]),
        event_type=str(event["type"]),
        body=json.dumps(event),
        now=datetime.now(UTC),
    )


def reveal(sandbox: RunningSandbox, events: tuple[dict[str, Any], ...]) -> None:
    """DR has made ``events`` so far (what ``GET /events`` lists)."""
    state = sandbox.state
    with state._lock:
        state.events[:] = list(events)


def outcome(engine: Engine) -> dict[str, Any]:
    """Orders, their history rows (times left out) and the outbox, comparable."""
    views = sorted(engine.orders(), key=lambda v: v.upstream_id)
    return {
        "orders": [
            (v.upstream_id, v.order_id, v.checkout_id, v.state, v.fraud_state, v.disputed)
            for v in views
        ],
        "history": [
            (v.upstream_id, h.trigger, h.from_state, h.to_state, h.outcome, h.event_id, h.reason)
            for v in views
            for h in v.history
            if h.outcome != "duplicate"
        ],
        "outbox": sorted(
            (e.key, e.type, json.dumps(e.payload, sort_keys=True)) for v in views for e in v.effects
        ),
    }


def first_arrivals(engine: Engine) -> list[str]:
    with engine.db.connect() as connection:
        return list(connection.execute(sa.text("SELECT event_id FROM inbox ORDER BY id")).scalars())


steps = st.lists(
    st.one_of(st.just(REVEAL), st.just(RECONCILE), st.integers(min_value=0, max_value=40)),
    max_size=30,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_any_split_between_webhooks_and_reconcile_ends_as_webhooks_alone(
    dr: tuple[RunningSandbox, DrClient, History],
    engines: tuple[Engine, Engine],
    plan: list[str | int],
) -> None:
    sandbox, client, history = dr
    split, alone = (emptied(engine) for engine in engines)
    events = history.events
    by_id = {str(event["id"]): event for event in events}
    platform_side(split, history)
    revealed = 0
    reveal(sandbox, ())
    for step in plan:
        if step == REVEAL:
            revealed = min(revealed + 1, len(events))
            reveal(sandbox, events[:revealed])
        elif step == RECONCILE:
            reconcile(split, client)  # stores what it lists, then drains the inbox
        elif isinstance(step, int) and step < revealed:
            deliver(split, events[step])  # any revealed event, any order, again or never
            drain_inbox(split)  # the worker
    reveal(sandbox, events)
    reconcile(split, client)  # what no webhook brought

    platform_side(alone, history)
    for event_id in first_arrivals(split):
        deliver(alone, by_id[event_id])
    drain_inbox(alone)

    got, expected = outcome(split), outcome(alone)
    assert got["orders"] == expected["orders"]
    assert got["history"] == expected["history"]
    assert got["outbox"] == expected["outbox"]
    states = {view.order_id: view.state for view in split.orders() if view.order_id}
    assert states == history.final_states
    assert sorted(first_arrivals(split)) == sorted(by_id)
