"""``orderfsm parked`` on SQLite and PostgreSQL: the table through the real console script,
the JSON through the same entry point in process (tests/support/cli_in_process.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from orderfsm import Engine
from tests.support.cli import run_in_columns as run_script
from tests.support.cli_in_process import Ran, run_in_process
from tests.support.seeding import sketch

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def run(*args: str, columns: int = 200) -> Ran:
    return run_in_process(*args, columns=columns)


@pytest.fixture
def shop(db_url: str) -> str:
    """Two events parked for orders nobody submitted; a third whose order then appeared."""
    with Engine.open(db_url, create_if_empty=True) as engine:
        for n in (1, 2, 3):
            o = sketch(n)
            engine.apply_event(o.event("order.accepted", o.order("accepted", T0), T0))
        engine.submit("UP-3", "co-3")
    return db_url


def test_json_lists_what_each_parked_event_waits_for(shop: str) -> None:
    done = run("parked", "--db", shop, "--json")

    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)
    assert [e["waitsFor"] for e in events] == [
        {"orderId": "dr-1", "checkoutId": "co-1", "upstreamId": "UP-1"},
        {"orderId": "dr-2", "checkoutId": "co-2", "upstreamId": "UP-2"},
    ]
    assert {e["eventType"] for e in events} == {"order.accepted"}
    parked_at = datetime.fromisoformat(events[0]["parkedAt"])
    assert parked_at.utcoffset() is not None and parked_at.utcoffset().total_seconds() == 0
    assert abs(datetime.fromisoformat(events[0]["drTime"]) - T0) < timedelta(seconds=1)


def test_the_table_says_how_many_wait_and_fits_80_columns(shop: str) -> None:
    done = run_script("parked", "--db", shop, columns=80)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("parked: 2 events waiting for an order")
    assert "dr-1" in done.stdout and "co-1" in done.stdout and "2026-" in done.stdout
    assert "dr-3" not in done.stdout
    assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
