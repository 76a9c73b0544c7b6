"""The console's read models on SQLite and PostgreSQL: filters, stuck, keyset paging, counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import orderfsm
from orderfsm.console.queries import (
    OrderQuery,
    edges_taken_since,
    list_orders,
    state_counts,
)
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import utcnow
from orderfsm.service.stuck import deadlines_with
from tests.e2e.console_support import seed

DEADLINES = deadlines_with()


@pytest.fixture
def shop(db_url: str) -> str:
    seed(db_url)  # SHOP-9001 fulfilled with a dead effect; SHOP-9002 submitted (accept refused)
    return db_url


def _ids(url: str, query: OrderQuery, now: datetime | None = None) -> list[str]:
    with orderfsm.Engine.open(url) as engine:
        page = list_orders(engine.db, query, deadlines=DEADLINES, now=now or utcnow())
    return [line.upstream_id for line in page.lines]


def test_each_filter_selects_the_orders_it_names(shop: str) -> None:
    assert _ids(shop, OrderQuery()) == ["SHOP-9002", "SHOP-9001"]
    assert _ids(shop, OrderQuery(state=OrderState.SUBMITTED)) == ["SHOP-9002"]
    assert _ids(shop, OrderQuery(dead_effects=True)) == ["SHOP-9001"]
    assert _ids(shop, OrderQuery(disputed=True)) == []
    for ref in ("SHOP-9001", "240000009001", "co-9001"):
        assert _ids(shop, OrderQuery(search=ref)) == ["SHOP-9001"]
    assert _ids(shop, OrderQuery(search="SHOP-90")) == []


def test_stuck_is_past_the_deadline_of_the_state_entered(shop: str) -> None:
    submitted = DEADLINES[OrderState.SUBMITTED]
    assert _ids(shop, OrderQuery(stuck=True)) == []
    assert OrderState.FULFILLED not in DEADLINES  # SHOP-9001 can never be stuck
    just_before = utcnow() + submitted - timedelta(minutes=1)
    later = utcnow() + submitted + timedelta(minutes=1)
    assert _ids(shop, OrderQuery(stuck=True), now=just_before) == []
    assert _ids(shop, OrderQuery(stuck=True), now=later) == ["SHOP-9002"]
    assert _ids(shop, OrderQuery(stuck=True, state=OrderState.SUBMITTED), now=later) == [
        "SHOP-9002"
    ]


def test_pages_follow_each_other_by_keyset_without_repeats(shop: str) -> None:
    with orderfsm.Engine.open(shop) as engine:
        first = list_orders(engine.db, OrderQuery(), deadlines=DEADLINES, now=utcnow(), limit=1)
        assert first.next_after is not None
        second = list_orders(
            engine.db,
            OrderQuery(after=first.next_after),
            deadlines=DEADLINES,
            now=utcnow(),
            limit=1,
        )
    assert [line.upstream_id for line in first.lines] == ["SHOP-9002"]
    assert [line.upstream_id for line in second.lines] == ["SHOP-9001"]
    assert second.next_after is None


def test_counts_per_state_and_edges_taken(shop: str) -> None:
    with orderfsm.Engine.open(shop) as engine:
        counts = state_counts(engine.db)
        taken = edges_taken_since(engine.db, utcnow() - timedelta(hours=24))
        none_yet = edges_taken_since(engine.db, utcnow() + timedelta(minutes=1))
    assert counts["submitted"] == 1 and counts["fulfilled"] == 1
    assert sum(counts.values()) == 2 and set(counts) == {s.value for s in OrderState}
    assert taken == {("submitted", "accept", "accepted"): 1, ("accepted", "fulfil", "fulfilled"): 1}
    assert none_yet == {}
