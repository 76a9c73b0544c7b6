"""Four worker processes apply one shuffled, duplicated stream in batches, at once.

The same stream, checks and reference as ``test_concurrency`` (whose orders,
dealing and end-state helpers this reuses), but every worker applies its
share with ``Engine.apply_many``, a few entries per transaction: batches of
different workers hold the same orders, so their flushes meet unique-index
and lock conflicts and must fall back to one unit at a time without losing
or doubling anything.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import text

from orderfsm.service import Engine
from tests.e2e.test_concurrency import (
    TIMEOUT_S,
    Unit,
    alone_in_order,
    deal,
    final,
    histories,
    run_workers,
)

BATCH = 6

WORKER = (
    f"GATE_S = {TIMEOUT_S}\n"
    + """
import json, sys, time
from collections import Counter
from pathlib import Path

from orderfsm.service import Engine
from orderfsm.journal import read_entry

url, share, gate, batch = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
entries = [read_entry(json.dumps(e)) for unit in json.loads(share.read_text()) for e in unit]
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
    for start in range(0, len(entries), batch):
        for result in engine.apply_many(entries[start : start + batch]):
            if isinstance(result, Exception):
                raise result
            outcomes[result.outcome.value if result.outcome else "not_relevant"] += 1
print(json.dumps(outcomes))
"""
)


def run_batched_workers(url: str, shares: list[list[Unit]], folder: Path) -> list[Counter[str]]:
    return run_workers(url, shares, folder, worker=WORKER, extra_args=(str(BATCH),))


def test_four_batching_workers_apply_every_event_once_and_lose_no_update(
    db_url: str, tmp_path: Path
) -> None:
    stories = histories()
    shares = deal(stories)

    counts = run_batched_workers(db_url, shares, tmp_path)

    for share, count in zip(shares, counts, strict=True):
        assert sum(count.values()) == sum(len(unit) for unit in share)
    events = {e["id"] for units in stories.values() for unit in units for e in unit if "id" in e}
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
            still_parked = connection.execute(text("SELECT count(*) FROM parked_signals")).scalar()
        together = {up: final(engine.show(up)) for up in stories}
    assert deciding == Counter(events)
    assert still_parked == 0
    assert together == alone_in_order(stories, f"sqlite:///{tmp_path / 'alone.db'}")
