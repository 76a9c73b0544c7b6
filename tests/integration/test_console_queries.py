"""The console's read models on SQLite and PostgreSQL: filters, stuck, keyset paging, counts.

The orders list is the query ``orderfsm orders`` reads too
(:mod:`orderfsm.persistence.order_list`), here newest first as the console reads it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import orderfsm
from orderfsm.console.queries import edges_taken_since, state_counts
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.order_list import OrderFilter, OrderPage, Sort, Stuck, list_orders
from orderfsm.service.stuck import deadlines_with
from tests.e2e.console_support import seed

DEADLINES = deadlines_with()


@pytest.fixture
def shop(db_url: str) -> str:
    seed(db_url)  # SHOP-9001 fulfilled with a dead effect; SHOP-9002 submitted (accept refused)
    return db_url


def _newest_first(
    engine: orderfsm.Engine, query: OrderFilter, limit: int = 50, after: str | None = None
) -> OrderPage:
    return list_orders(engine.db, query, limit=limit, after=after, sort=Sort.NEWEST_FIRST)


def _stuck(now: datetime | None = None) -> Stuck:
    return Stuck(DEADLINES, now or utcnow())


def _ids(url: str, query: OrderFilter) -> list[str]:
    with orderfsm.Engine.open(url) as engine:
        page = _newest_first(engine, query)
    return [line.upstream_id for line in page.lines]


def test_each_filter_selects_the_orders_it_names(shop: str) -> None:
    assert _ids(shop, OrderFilter()) == ["SHOP-9002", "SHOP-9001"]
    assert _ids(shop, OrderFilter(state=OrderState.SUBMITTED)) == ["SHOP-9002"]
    assert _ids(shop, OrderFilter(dead_effects=True)) == ["SHOP-9001"]
    assert _ids(shop, OrderFilter(disputed=True)) == []
    for ref in ("SHOP-9001", "240000009001", "co-9001"):
        assert _ids(shop, OrderFilter(search=ref)) == ["SHOP-9001"]
    assert _ids(shop, OrderFilter(search="SHOP-90")) == []


def test_stuck_is_past_the_deadline_of_the_state_entered(shop: str) -> None:
    submitted = DEADLINES[OrderState.SUBMITTED]
    assert _ids(shop, OrderFilter(stuck=_stuck())) == []
    assert OrderState.FULFILLED not in DEADLINES  # SHOP-9001 can never be stuck
    just_before = utcnow() + submitted - timedelta(minutes=1)
    later = utcnow() + submitted + timedelta(minutes=1)
    assert _ids(shop, OrderFilter(stuck=_stuck(just_before))) == []
    assert _ids(shop, OrderFilter(stuck=_stuck(later))) == ["SHOP-9002"]
    assert _ids(shop, OrderFilter(stuck=_stuck(later), state=OrderState.SUBMITTED)) == ["SHOP-9002"]


def test_pages_follow_each_other_by_keyset_without_repeats(shop: str) -> None:
    with orderfsm.Engine.open(shop) as engine:
        first = _newest_first(engine, OrderFilter(), limit=1)
        assert first.next_after is not None
        second = _newest_first(engine, OrderFilter(), limit=1, after=first.next_after)
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
