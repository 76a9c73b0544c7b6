"""``show`` dates its times and details each effect; ``effects --order``; 80 columns.

Orders made by the engine on a SQLite file; one effect claimed and failed
through the outbox's own functions, as a dispatcher does. ``show`` and one
``effects`` run go through the real console script; the other ``effects``
runs call the same entry point in process (tests/support/cli_in_process.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from orderfsm import Engine
from orderfsm.cli.show import render_order
from orderfsm.persistence.outbox import claim_due, mark_failed
from orderfsm.samples.builders import Item, OrderSketch
from tests.support.cli import run_in_columns as run_script
from tests.support.cli_in_process import Ran, run_in_process
from tests.support.seeding import accept

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
NOW = datetime.now(UTC)


def run(*args: str, columns: int = 200) -> Ran:
    return run_in_process(*args, columns=columns)


@pytest.fixture
def shop(sqlite_url: str) -> str:
    """UP-1 accepted with a physical and a digital line: one effect failed, the rest untried."""
    o = OrderSketch(
        "dr-1",
        "co-1",
        "UP-1",
        [Item("it-1", "chair", 1, 5.0, True), Item("it-2", "song", 1, 1.0, False)],
    )
    other = OrderSketch("dr-2", "co-2", "UP-2", [Item("it-1", "chair", 1, 5.0, True)])
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        for sketch in (o, other):
            engine.submit(sketch.upstream_id, sketch.checkout_id)
            accept(engine, sketch, T0)
        now = datetime.now(UTC)
        with engine.db.begin() as connection:
            (claim,) = claim_due(
                connection,
                effects=["request_shipment"],
                now=now,
                lease_until=now + timedelta(minutes=1),
                limit=1,
            )
            mark_failed(
                connection,
                claim,
                now=now,
                error="WarehouseDown: 503 from the warehouse",
                retry_at=now + timedelta(minutes=5),
            )
    return sqlite_url


def test_show_json_adds_times_and_effect_details_and_keeps_the_old_keys(shop: str) -> None:
    done = run_script("show", "UP-1", "--db", shop, "--json")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for entry in data["history"]:
        assert {"trigger", "from", "to", "outcome", "eventId", "reason"} <= set(entry)
        assert datetime.fromisoformat(entry["recordedAt"]).utcoffset() == timedelta(0)
    webhook = [h for h in data["history"] if h["eventId"]]
    assert abs(datetime.fromisoformat(webhook[0]["drTime"]) - T0) < timedelta(seconds=1)
    effects = {e["type"]: e for e in data["effects"]}
    assert {"key", "status", "payload"} <= set(effects["request_shipment"])
    failed = effects["request_shipment"]
    assert (failed["status"], failed["attempts"], failed["handled"]) == ("failed", 1, False)
    assert failed["lastError"] == "WarehouseDown: 503 from the warehouse"
    assert datetime.fromisoformat(failed["nextAttemptAt"]) > NOW
    untried = effects["send_order_confirmation"]
    assert (untried["status"], untried["attempts"], untried["lastError"]) == ("pending", 0, None)


def test_show_at_80_columns_dates_every_time_and_shows_the_error_whole(shop: str) -> None:
    with Engine.open(shop) as engine:
        view = engine.show("dr-1")
    console = Console(width=80, record=True, color_system=None)

    render_order(view, console)

    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "2026-05-04" in text and NOW.strftime("%Y-%m-%d") in text
    # Wrapped, not cut: each word of the cell is there (cells wrap beside each other).
    for word in ("WarehouseDown:", "503 from the", "warehouse", "pending, never", "attempted"):
        assert word in text, word
    assert "UP-1:accepted:request_shipment" in text


def test_effects_order_lists_only_that_orders_effects_by_any_of_its_ids(shop: str) -> None:
    by_upstream = run_script("effects", "--db", shop, "--order", "UP-2", "--json")
    by_dr_id = run("effects", "--db", shop, "--order", "dr-2", "--json")
    by_checkout = run("effects", "--db", shop, "--order", "co-1", "--json")

    assert by_upstream.returncode == 0, by_upstream.stderr
    ups = [json.loads(line) for line in by_upstream.stdout.splitlines()]
    assert ups and {e["upstreamId"] for e in ups} == {"UP-2"}
    assert by_dr_id.stdout == by_upstream.stdout
    ones = [json.loads(line) for line in by_checkout.stdout.splitlines()]
    assert ones and {e["upstreamId"] for e in ones} == {"UP-1"}
