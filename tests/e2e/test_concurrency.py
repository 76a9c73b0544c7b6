"""Four worker processes apply one shuffled, duplicated stream to one database at once.

Each worker is a real Python process that opens its own :class:`Engine` on
the same (empty) database, waits at a gate until all are ready, then applies
its share of the stream: 40 orders' DR histories (submits, ``POST /orders``
answers, webhooks), every unit delivered twice, shuffled, dealt round-robin.
Run against one SQLite file and against PostgreSQL. Afterwards:

* every worker exited 0 and accounted for every entry it was given (no
  "database is locked" or other error reached the caller);
* every event id has exactly one deciding history row (applied, stale,
  terminal or refused); the other delivery is a duplicate;
* nothing is left parked (no event lost between "park" and "attach");
* each order ends exactly as when its own history is applied alone, in DR's
  order, to a fresh database: state, dispute flag, fraud state, charges and
  effects (no lost update, each effect once).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from orderfsm.fsm.outcomes import Outcome
from orderfsm.journal import apply_entry, read_entry
from orderfsm.persistence.records import OrderView
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine
from tests.support.processes import reap

WORKERS = 4
ORDERS = 40
DELIVERIES = 2
SEED = 20260501
WINDOW_ORDERS = 2
TIMEOUT_S = 180
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

Unit = list[dict[str, Any]]
"""Journal entries one worker applies back to back (a submit and its answer)."""

WORKER = (
    f"GATE_S = {TIMEOUT_S}\n"
    + """
import json, sys, time
from collections import Counter
from pathlib import Path

from orderfsm.service import Engine
from orderfsm.journal import apply_entry, read_entry

url, share, gate = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
units = json.loads(share.read_text())
outcomes = Counter()
with Engine.open(url, create_if_empty=True) as engine:
    share.with_suffix(".ready").touch()
    # As long as the test waits for every worker to be ready: on a loaded
    # machine the last may start well over a minute after the first.
    deadline = time.monotonic() + GATE_S
    while not gate.exists():
        if time.monotonic() > deadline:
            sys.exit("the gate never opened")
        time.sleep(0.005)
    for unit in units:
        for entry in unit:
            result = apply_entry(engine, read_entry(json.dumps(entry)))
            outcomes[result.outcome.value if result.outcome else "not_relevant"] += 1
print(json.dumps(outcomes))
"""
)


# -- the orders' DR histories (in DR's order) ---------------------------------


def at(t: datetime, minutes: float) -> datetime:
    return t + timedelta(minutes=minutes)


def reviewed_then_completed(o: OrderSketch, t: datetime) -> list[Unit]:
    in_review = o.order("in_review", at(t, 1), charge_state="pending", fraud_state="review_opened")
    accepted = o.order("accepted", at(t, 10), fraud_state="passed")
    captured = o.charge(o.charge_ids[0], "complete", at(t, 200))
    fulfilled = o.order("fulfilled", at(t, 300), charge_state="complete", fraud_state="passed")
    complete = o.order("complete", at(t, 360), charge_state="complete")
    return [
        [o.submit()],
        [o.event("order.review_opened", in_review, at(t, 1))],
        [o.event("order.accepted", accepted, at(t, 10))],
        [o.event("order.charge.capture.complete", captured, at(t, 200))],
        [o.event("order.fulfilled", fulfilled, at(t, 300))],
        [o.event("order.complete", complete, at(t, 360))],
    ]


def answered_accepted(o: OrderSketch, t: datetime) -> list[Unit]:
    accepted = o.order("accepted", at(t, 1), fraud_state="passed")
    fulfilled = o.order("fulfilled", at(t, 300), charge_state="complete", fraud_state="passed")
    complete = o.order("complete", at(t, 360), charge_state="complete")
    return [
        [o.submit(), o.response(201, accepted)],
        [o.event("order.accepted", accepted, at(t, 1))],
        [o.event("order.fulfilled", fulfilled, at(t, 300))],
        [o.event("order.complete", complete, at(t, 360))],
    ]


def blocked_in_review(o: OrderSketch, t: datetime) -> list[Unit]:
    in_review = o.order("in_review", at(t, 1), charge_state="pending", fraud_state="review_opened")
    blocked = o.order("blocked", at(t, 30), charge_state="cancelled", fraud_state="blocked")
    return [
        [o.submit(), o.response(201, in_review)],
        [o.event("order.review_opened", in_review, at(t, 1))],
        [o.event("order.blocked", blocked, at(t, 30))],
    ]


def wire_transfer_cancelled(o: OrderSketch, t: datetime) -> list[Unit]:
    pending = o.order(
        "pending_payment", at(t, 1), charge_state=None, next_action="show_payment_instructions"
    )
    cancelled = o.order("cancelled", at(t, 7 * 24 * 60), charge_state=None)
    return [
        [o.submit()],
        [o.event("order.pending_payment", pending, at(t, 1))],
        [o.event("order.cancelled", cancelled, at(t, 7 * 24 * 60))],
    ]


def disputed_and_resolved(o: OrderSketch, t: datetime) -> list[Unit]:
    accepted = o.order("accepted", at(t, 1), fraud_state="passed")
    complete = o.order("complete", at(t, 360), charge_state="complete")
    dispute = o.order("dispute", at(t, 1000), charge_state="complete")
    resolved = o.order("accepted", at(t, 2000), charge_state="complete")
    return [
        [o.submit()],
        [o.event("order.accepted", accepted, at(t, 1))],
        [o.event("order.complete", complete, at(t, 360))],
        [o.event("order.dispute", dispute, at(t, 1000))],
        [o.event("order.dispute.resolved", resolved, at(t, 2000))],
    ]


SCENARIOS: tuple[Callable[[OrderSketch, datetime], list[Unit]], ...] = (
    reviewed_then_completed,
    answered_accepted,
    blocked_in_review,
    wire_transfer_cancelled,
    disputed_and_resolved,
)


def histories() -> dict[str, list[Unit]]:
    """Each order's history, in DR's order, by upstream id."""
    stories: dict[str, list[Unit]] = {}
    for n in range(ORDERS):
        o = OrderSketch(
            f"DR{n:04d}",
            f"CO{n:04d}",
            f"UP{n:04d}",
            [Item(f"it-{n}-1", "widget", 1, 20.0, True), Item(f"it-{n}-2", "ebook", 1, 5.0, False)],
            charge_ids=(f"ch-{n}",),
        )
        stories[o.upstream_id] = SCENARIOS[n % len(SCENARIOS)](o, at(T0, n))
    return stories


def deal(stories: dict[str, list[Unit]]) -> list[list[Unit]]:
    """Every unit ``DELIVERIES`` times, shuffled, dealt round-robin to the workers.

    The shuffle stays within a window of a few orders, so that at any moment
    the workers hold units of the same orders: the same order's submit,
    answer, events and duplicates race each other in different processes.
    """
    rng = random.Random(SEED)
    stream: list[Unit] = []
    orders = list(stories.values())
    for first in range(0, len(orders), WINDOW_ORDERS):
        window = [unit for units in orders[first : first + WINDOW_ORDERS] for unit in units]
        window *= DELIVERIES
        rng.shuffle(window)
        stream += window
    return [stream[k::WORKERS] for k in range(WORKERS)]


# -- running and checking -------------------------------------------------------


def run_workers(
    url: str,
    shares: list[list[Unit]],
    folder: Path,
    *,
    worker: str = WORKER,
    extra_args: tuple[str, ...] = (),
) -> list[Counter[str]]:
    """Start one process per share running ``worker``, release them together, collect counts."""
    script = folder / "worker.py"
    script.write_text(worker)
    gate = folder / "go"
    paths = []
    for k, share in enumerate(shares):
        path = folder / f"share-{k}.json"
        path.write_text(json.dumps(share))
        paths.append(path)
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), url, str(path), str(gate), *extra_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in paths
    ]
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not all(p.with_suffix(".ready").exists() for p in paths):
            crashed = [w for w in workers if w.poll() is not None]
            assert not crashed, crashed[0].communicate()[1]
            assert time.monotonic() < deadline, "workers never got ready"
            time.sleep(0.01)
        gate.touch()
        finished = [w.communicate(timeout=TIMEOUT_S) for w in workers]
    finally:
        for w in workers:
            reap(w)
    for w, (_, err) in zip(workers, finished, strict=True):
        assert w.returncode == 0, err
        assert "database is locked" not in err and "Traceback" not in err, err
    return [Counter(json.loads(out)) for out, _ in finished]


def final(view: OrderView) -> dict[str, Any]:
    return {
        "state": view.state,
        "disputed": view.disputed,
        "fraud_state": view.fraud_state,
        "dr_order_id": view.order_id,
        "charges": sorted((c["id"], c["state"]) for c in view.charges),
        # Payment instructions are sent when DR's pending_payment is seen
        # before the cancellation; seen after it, they would be pointless, and
        # the stale signal rightly sends none. Every other effect is fixed.
        "effects": sorted(e.key for e in view.effects if e.type != "send_payment_instructions"),
    }


def alone_in_order(stories: dict[str, list[Unit]], url: str) -> dict[str, dict[str, Any]]:
    """Each order's end state when its history is applied by itself, in DR's order."""
    with Engine.open(url, create_if_empty=True) as engine:
        for units in stories.values():
            for unit in units:
                for entry in unit:
                    apply_entry(engine, read_entry(json.dumps(entry)))
        return {up: final(engine.show(up)) for up in stories}


def test_four_workers_on_one_database_apply_every_event_once_and_lose_no_update(
    db_url: str, tmp_path: Path
) -> None:
    stories = histories()
    shares = deal(stories)
    counts = run_workers(db_url, shares, tmp_path)

    for share, count in zip(shares, counts, strict=True):
        assert sum(count.values()) == sum(len(unit) for unit in share)
    assert sum(counts, Counter())[Outcome.APPLIED] > 0

    events = {
        entry["id"]
        for units in stories.values()
        for unit in units
        for entry in unit
        if "id" in entry
    }
    with Engine.open(db_url) as engine:
        with engine.db.connect() as connection:
            deciding = Counter(
                row.event_id
                for row in connection.execute(
                    text(
                        "SELECT event_id FROM order_history WHERE step = 0 "
                        "AND event_id IS NOT NULL AND outcome NOT IN ('duplicate', 'parked')"
                    )
                )
            )
            applied = Counter(
                row.event_id
                for row in connection.execute(
                    text(
                        "SELECT event_id FROM order_history WHERE step = 0 AND outcome = 'applied' "
                        "AND event_id IS NOT NULL"
                    )
                )
            )
            still_parked = connection.execute(text("SELECT count(*) FROM parked_signals")).scalar()
        together = {up: final(engine.show(up)) for up in stories}

    assert deciding == Counter(events)  # exactly one deciding row per event id
    assert max(applied.values()) == 1
    assert still_parked == 0
    assert together == alone_in_order(stories, f"sqlite:///{tmp_path / 'alone.db'}")
