"""The worker stores what became of each inbox entry; ``orderfsm inbox`` shows it.

On SQLite and PostgreSQL: entries stored as the receiver stores them,
applied by ``apply_inbox``, listed and shown. The table and an unknown
entry go through the real console script; the JSON and ``inbox show`` runs
call the same entry point in process (tests/support/cli_in_process.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from orderfsm import Engine
from orderfsm.inbox import apply_inbox
from orderfsm.samples.builders import Item, OrderSketch
from tests.support.cli import run_in_columns as run_script
from tests.support.cli_in_process import Ran, run_in_process
from tests.support.seeding import store_webhooks

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def run(*args: str, columns: int = 200) -> Ran:
    return run_in_process(*args, columns=columns)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def shop(db_url: str) -> str:
    """One entry of each outcome: applied, refused, stale, not relevant, parked, dead."""
    known = OrderSketch("dr-1", "co-1", "UP-1", [Item("it-1", "sku", 1, 5.0, True)])
    two_charges = OrderSketch(
        "dr-2", "co-2", "UP-2", [Item("it-1", "sku", 1, 5.0, True)], charge_ids=("ch-1", "ch-2")
    )
    unknown = OrderSketch("dr-9", "co-9", "UP-9", [Item("it-1", "sku", 1, 5.0, True)])
    events = [
        known.event("order.accepted", known.order("accepted", at(1)), at(1)) | {"id": "e-ok"},
        two_charges.event(
            "order.accepted",
            two_charges.order(
                "accepted", at(1), charge_state={"ch-1": "capturable", "ch-2": "pending"}
            ),
            at(1),
        )
        | {"id": "e-refused"},
        known.event("order.pending_payment", known.order("pending_payment", at(0)), at(0))
        | {"id": "e-stale"},
        known.event("order.invoice.created", known.order("accepted", at(2)), at(2))
        | {"id": "e-irrelevant"},
        unknown.event("order.accepted", unknown.order("accepted", at(1)), at(1))
        | {"id": "e-parked"},
        {"id": "e-broken", "type": "order.accepted", "data": {"object": {"id": 5}}},
    ]
    with Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit("UP-1", "co-1")
        engine.submit("UP-2", "co-2")
        store_webhooks(engine, events, now=T0)
        apply_inbox(engine)
    return db_url


def test_each_entry_shows_what_became_of_it_and_its_order(shop: str) -> None:
    done = run("inbox", "--db", shop, "--json")

    assert done.returncode == 0, done.stderr
    entries = {e["eventId"]: e for e in json.loads(done.stdout)}
    assert {key: (e["outcome"], e["upstreamId"]) for key, e in entries.items()} == {
        "e-ok": ("applied", "UP-1"),
        "e-refused": ("refused", "UP-2"),
        "e-stale": ("stale", "UP-1"),
        "e-irrelevant": ("not relevant", None),
        "e-parked": ("parked", None),
        "e-broken": ("dead", None),
    }
    broken = entries["e-broken"]
    assert broken["status"] == "dead" and "createdTime: Field required" in broken["error"]
    assert datetime.fromisoformat(broken["receivedAt"]) == T0


def test_the_table_fits_80_columns_and_counts_the_outcomes(shop: str) -> None:
    done = run_script("inbox", "--db", shop, columns=80)

    assert done.returncode == 0, done.stderr
    assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
    assert "inbox: received 0, applied 5, dead 1" in done.stdout
    assert "these 6: applied 1, dead 1, not relevant 1, parked 1, refused 1, stale 1" in done.stdout
    for word in ("refused", "parked", "not relevant", "UP-2", "2026-05-04"):
        assert word in done.stdout


def test_inbox_show_prints_the_whole_error_and_payload(shop: str) -> None:
    text = run("inbox", "--db", shop, "show", "e-broken", columns=80)
    as_json = run("inbox", "show", "e-parked", "--db", shop, "--json")

    assert text.returncode == 0, text.stderr
    assert "outcome: dead" in text.stdout and "createdTime: Field required" in text.stdout
    assert '"id": 5' in text.stdout
    assert all(len(line) <= 80 for line in text.stdout.splitlines())
    assert as_json.returncode == 0, as_json.stderr
    shown = json.loads(as_json.stdout)
    assert shown["outcome"] == "parked"
    assert shown["payload"]["data"]["object"]["id"] == "dr-9"


def test_inbox_show_of_an_unknown_entry_is_one_line(shop: str) -> None:
    done = run_script("inbox", "show", "nope", "--db", shop)

    assert done.returncode == 1
    assert done.stderr.strip() == "error: no inbox entry with id or event id 'nope'"
