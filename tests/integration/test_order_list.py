"""The one orders list behind ``orderfsm orders`` and the console's page, on SQLite and PostgreSQL.

Read oldest update first (the CLI) or newest first (the console), the same
filter selects the same orders; each sort's cursor walks every order once;
the CLI's details are read only when asked for.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from orderfsm import Engine
from orderfsm.errors import ConfigurationError
from orderfsm.persistence.order_list import OrderFilter, OrderSummary, Sort, list_orders
from tests.support.seeding import accept, sketch


@pytest.fixture
def shop(db_url: str) -> str:
    """UP-1..UP-4 submitted in that order; UP-2 then accepted (its last update)."""
    with Engine.open(db_url, create_if_empty=True) as engine:
        for n in range(1, 5):
            engine.submit(f"UP-{n}", f"co-{n}")
        accept(engine, sketch(2), datetime.now(UTC))
    return db_url


def _ids(lines: tuple[OrderSummary, ...]) -> list[str]:
    return [line.upstream_id for line in lines]


def test_each_filter_selects_the_same_orders_read_either_way(shop: str) -> None:
    expected = {
        OrderFilter(): ["UP-1", "UP-2", "UP-3", "UP-4"],
        OrderFilter(state="accepted"): ["UP-2"],
        OrderFilter(state="submitted"): ["UP-1", "UP-3", "UP-4"],
        OrderFilter(search="dr-2"): ["UP-2"],
        OrderFilter(search="co-3"): ["UP-3"],
        OrderFilter(search="UP-"): [],
        OrderFilter(disputed=True): [],
        OrderFilter(dead_effects=True): [],
    }
    with Engine.open(shop) as engine:
        for chosen, ids in expected.items():
            oldest = list_orders(engine.db, chosen, limit=10)
            newest = list_orders(engine.db, chosen, limit=10, sort=Sort.NEWEST_FIRST)
            assert sorted(_ids(oldest.lines)) == ids, chosen
            assert sorted(_ids(newest.lines)) == ids, chosen
        every = OrderFilter()
        oldest_first = list_orders(engine.db, every, limit=10)
        newest_first = list_orders(engine.db, every, limit=10, sort=Sort.NEWEST_FIRST)
    assert _ids(oldest_first.lines) == ["UP-1", "UP-3", "UP-4", "UP-2"]
    assert _ids(newest_first.lines) == ["UP-4", "UP-3", "UP-2", "UP-1"]


@pytest.mark.parametrize("sort", list(Sort))
def test_each_sort_s_cursor_walks_every_order_once(shop: str, sort: Sort) -> None:
    with Engine.open(shop) as engine:
        whole = list_orders(engine.db, OrderFilter(), limit=10, sort=sort)
        walked: list[str] = []
        after: str | None = None
        for _ in range(10):
            page = list_orders(engine.db, OrderFilter(), limit=1, after=after, sort=sort)
            walked += _ids(page.lines)
            if page.next_after is None:
                break
            after = page.next_after
    assert whole.next_after is None
    assert walked == _ids(whole.lines) and len(walked) == 4
    if sort is Sort.NEWEST_FIRST:
        assert after is not None and after.isdigit()
    else:
        assert after == whole.lines[2].cursor


def test_the_details_are_read_only_when_asked_for(shop: str) -> None:
    with Engine.open(shop) as engine:
        plain = list_orders(engine.db, OrderFilter(), limit=10)
        detailed = list_orders(engine.db, OrderFilter(), limit=10, details=True)

    assert all(line.created_at is None and line.last_signal is None for line in plain.lines)
    assert {line.upstream_id: line.last_signal for line in detailed.lines} == {
        "UP-1": "submit",
        "UP-2": "order.accepted",
        "UP-3": "submit",
        "UP-4": "submit",
    }
    assert all(line.created_at is not None for line in detailed.lines)
    undetailed = tuple(
        replace(line, created_at=None, last_signal=None, last_outcome=None, last_signal_at=None)
        for line in detailed.lines
    )
    assert undetailed == plain.lines


def test_a_malformed_cursor_of_either_sort_is_one_clear_line(shop: str) -> None:
    with Engine.open(shop) as engine:
        with pytest.raises(ConfigurationError) as by_id:
            list_orders(engine.db, OrderFilter(), limit=1, after="x1", sort=Sort.NEWEST_FIRST)
        with pytest.raises(ConfigurationError) as by_time:
            list_orders(engine.db, OrderFilter(), limit=1, after="12")

    assert str(by_id.value) == "not a page cursor: 'x1' (use the last order id shown)"
    assert str(by_time.value).startswith("not a cursor: '12' ")
    assert "\n" not in str(by_id.value) + str(by_time.value)
