"""The database's gauges, read at scrape time, against what the engine and the stores say."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from orderfsm import Engine
from orderfsm.fsm.states import OrderState
from orderfsm.observability import Metrics
from orderfsm.persistence.gauges import read_gauges
from orderfsm.service.stuck import deadlines_with, stuck_orders
from tests.support.metrics import by_label, scrape, value
from tests.support.seeding import sketch, store_webhooks

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
SOON = {OrderState.SUBMITTED: timedelta(microseconds=1)}
"""A deadline every submitted order is past at once."""


def shop(engine: Engine) -> None:
    """Four orders (two accepted, two submitted), their effects pending, two events waiting."""
    for n in range(1, 5):
        engine.submit(f"UP-{n}", f"co-{n}")
    for n in (1, 2):
        o = sketch(n)
        engine.apply_event(o.event("order.accepted", o.order("accepted", T0), T0))
    for n in (3, 4):
        o = sketch(n)
        event = o.event("order.accepted", o.order("accepted", T0), T0)
        store_webhooks(engine, [event], now=T0 + timedelta(minutes=n))


def test_orders_per_state_stuck_orders_and_the_backlog_match_the_database(db_url: str) -> None:
    with Engine.open(db_url, create_if_empty=True) as engine:
        shop(engine)
        metrics = Metrics()
        metrics.watch_database(engine.db, deadlines=SOON)
        samples = scrape(metrics.registry)
        states = Counter(view.state for view in engine.orders())
        stuck = Counter(o.state.value for o in stuck_orders(engine, deadlines=SOON))
        with engine.db.connect() as connection:
            pending = connection.execute(
                sa.text("SELECT count(*) FROM outbox WHERE status = 'pending'")
            ).scalar_one()
        now = datetime.now(UTC)

    orders = by_label(samples, "orderfsm_orders", "state")
    assert set(orders) == {state.value for state in OrderState}
    assert (
        {s: int(n) for s, n in orders.items() if n}
        == dict(states)
        == {
            "accepted": 2,
            "submitted": 2,
        }
    )
    assert {s: int(n) for s, n in by_label(samples, "orderfsm_orders_stuck", "state").items()} == {
        "submitted": 2,
        "pending_payment": 0,
        "in_review": 0,
        "accepted": 0,
    }
    assert dict(stuck) == {"submitted": 2}
    assert pending > 0
    assert by_label(samples, "orderfsm_outbox_effects", "status") == {
        "pending": pending,
        "failed": 0,
        "dead": 0,
    }
    assert by_label(samples, "orderfsm_inbox_entries", "status") == {"received": 2, "dead": 0}
    inbox_age = value(samples, "orderfsm_inbox_oldest_waiting_seconds")
    assert inbox_age is not None
    assert (now - (T0 + timedelta(minutes=3))).total_seconds() - 60 < inbox_age
    assert inbox_age <= (now - (T0 + timedelta(minutes=3))).total_seconds()
    outbox_age = value(samples, "orderfsm_outbox_oldest_waiting_seconds")
    assert outbox_age is not None and 0 < outbox_age < 600
    assert value(samples, "orderfsm_database_up") == 1


def test_one_read_answers_scrapes_for_max_age_and_a_new_read_follows(sqlite_url: str) -> None:
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        cached, fresh = Metrics(), Metrics()
        cached.watch_database(engine.db, max_age=timedelta(hours=1))
        fresh.watch_database(engine.db, max_age=timedelta(0))
        before = (scrape(cached.registry), scrape(fresh.registry))
        engine.submit("UP-1", "co-1")
        after = (scrape(cached.registry), scrape(fresh.registry))

    def submitted(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> float | None:
        return value(samples, "orderfsm_orders", state="submitted")

    assert [submitted(s) for s in before] == [0, 0]
    assert [submitted(s) for s in after] == [0, 1]


def test_a_database_that_cannot_be_read_shows_as_down_and_the_scrape_still_answers(
    tmp_path: Path,
) -> None:
    metrics = Metrics()
    collector = metrics.watch_database(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    try:
        samples = scrape(metrics.registry)
    finally:
        collector.close()

    assert value(samples, "orderfsm_database_up") == 0
    assert by_label(samples, "orderfsm_orders", "state") == {}
    assert value(samples, "orderfsm_webhooks_received_total", code="202", answer="stored") == 0


@pytest.mark.parametrize(
    "later",
    [timedelta(0), timedelta(minutes=20), timedelta(days=4), timedelta(days=6), timedelta(days=8)],
)
def test_the_stuck_gauge_counts_what_orderfsm_stuck_lists_at_any_moment(
    sqlite_url: str, later: timedelta
) -> None:
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        shop(engine)
        o = sketch(2)  # internal news for an accepted order: a history row that stays in place
        engine.apply_event(
            o.event("order.charge.capture.complete", o.charge("ch-1", "complete", T0), T0)
        )
        moment = datetime.now(UTC) + later
        listed = Counter(o.state for o in stuck_orders(engine, clock=lambda: moment))
        with engine.db.connect() as connection:
            counted = read_gauges(connection, now=moment, deadlines=deadlines_with()).stuck

    assert {state: n for state, n in counted.items() if n} == dict(listed)
    assert bool(listed) == (later > timedelta(0))  # submitted after 15 min, accepted after 5 days
    assert (OrderState.ACCEPTED in listed) == (later > timedelta(days=5))
