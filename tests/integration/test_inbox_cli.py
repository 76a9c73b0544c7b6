"""``orderfsm inbox`` and ``orderfsm inbox retry`` through the real console script.

The second retry of each test calls the same entry point in process
(tests/support/cli_in_process.py): each exit (0 and 1) stays a real run.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

from orderfsm import Engine
from orderfsm.inbox import apply_inbox
from orderfsm.persistence import InboxStatus
from orderfsm.persistence import inbox as store
from orderfsm.samples.builders import Item, OrderSketch
from tests.support.cli import run_orderfsm
from tests.support.cli_in_process import Ran, run_orderfsm_in_process
from tests.support.seeding import store_webhooks

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_orderfsm(*args, env={"COLUMNS": "200"})


def run_here(*args: str) -> Ran:
    return run_orderfsm_in_process(*args, env={"COLUMNS": "200"})


@pytest.fixture
def shop(sqlite_url: str) -> str:
    """A database with one applied event and one dead one (its order data unreadable)."""
    o = OrderSketch("dr-1", "co-1", "UP-1", [Item("it-1", "sku", 1, 5.0, True)])
    good = o.event("order.accepted", o.order("accepted", T0), T0)
    bad = {"id": "evt-broken", "type": "order.accepted", "data": {"object": {"id": 5}}}
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        engine.submit("UP-1", "co-1")
        store_webhooks(engine, (good, bad), now=T0)
        apply_inbox(engine)
    return sqlite_url


def good_event_id(url: str) -> str:
    with Engine.open(url) as engine:
        (applied,) = store.entries(engine.db, status=InboxStatus.APPLIED)
    return applied.event_id


def test_listing_dead_entries_shows_each_with_its_error(shop: str) -> None:
    listed = run("inbox", "--db", shop, "--status", "dead")

    assert listed.returncode == 0, listed.stderr
    assert "inbox: received 0, applied 1, dead 1" in listed.stdout
    assert "evt-broken" in listed.stdout and "createdTime: Field required" in listed.stdout
    assert good_event_id(shop) not in listed.stdout


def test_retry_puts_a_dead_entry_back_in_line_by_event_id_or_inbox_id(shop: str) -> None:
    with Engine.open(shop) as engine:
        dead = store.find_entry(engine.db, "evt-broken")
    assert dead is not None

    by_event = run("inbox", "retry", "evt-broken", "--db", shop)
    with Engine.open(shop) as engine:
        apply_inbox(engine)
    by_id = run_here("inbox", "--db", shop, "retry", str(dead.id))

    assert by_event.returncode == 0, by_event.stderr
    assert f"inbox entry {dead.id} (event evt-broken, order.accepted) is back in line" in (
        by_event.stdout
    )
    assert by_id.returncode == 0, by_id.stderr
    with Engine.open(shop) as engine:
        again = store.find_entry(engine.db, "evt-broken")
    assert again is not None and (again.status, again.attempts) == (InboxStatus.RECEIVED, 0)


def test_retrying_an_unknown_or_applied_entry_is_one_clear_line_and_exit_1(shop: str) -> None:
    unknown = run("inbox", "retry", "nope", "--db", shop)
    applied = run_here("inbox", "retry", "1", "--db", shop)

    assert (unknown.returncode, applied.returncode) == (1, 1)
    assert unknown.stderr.strip() == "error: no inbox entry with id or event id 'nope'"
    assert applied.stderr.strip().endswith("was applied; nothing to retry")
    assert "Traceback" not in unknown.stderr + applied.stderr
