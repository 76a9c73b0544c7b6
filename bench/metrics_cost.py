"""What the metrics cost: a scrape's database read at N orders, and the receiver's per-request hook.

    python -m bench.metrics_cost                    # SQLite in a temp folder, 100,000 orders
    python -m bench.metrics_cost --orders 100000 --db postgresql+psycopg://postgres@127.0.0.1/bench

1. **Scrape.** Fills a database with ``--orders`` orders (their DR snapshot,
   three history rows each, five effects each, all done but 100 pending; as
   many applied inbox entries; a few waiting) straight through SQL, then times
   :func:`orderfsm.persistence.gauges.read_gauges` (every gauge of a scrape),
   median of ``--repeat`` reads, after ``ANALYZE`` (``VACUUM ANALYZE``). Live
   orders are minutes old, one in 100 a day old (stuck); ended ones spread
   over 30 days.
2. **Receiver hook.** CPU time per delivery with and without
   :class:`orderfsm.adapters.http.metrics.AnswerCounter` (reading the answer,
   one counter increment), in this process, around a trivial inner app
   answering like the receiver, in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as DbEngine
from sqlalchemy import insert, text

from bench.postgres import bench_schema
from orderfsm import Engine
from orderfsm.persistence.database import READ_ONLY_OPTION
from orderfsm.persistence.gauges import read_gauges
from orderfsm.persistence.inbox import INBOX
from orderfsm.persistence.tables import HISTORY, ORDERS, OUTBOX
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service.stuck import deadlines_with

STATES = ["complete"] * 80 + ["fulfilled"] * 10 + ["accepted"] * 5 + ["submitted"] * 3
STATES += ["in_review"] * 2
CHUNK = 2_000


def fill(db: DbEngine, orders: int) -> None:
    """``orders`` orders with realistic rows, inserted in chunks."""
    now = datetime.now(UTC)
    o = OrderSketch("dr-x", "co-x", "UP-x", [Item("it-1", "sku-1", 2, 9.5, True)])
    snapshot = o.order("accepted", now - timedelta(days=1), fraud_state="passed")
    for start in range(0, orders, CHUNK):
        ids = range(start + 1, min(orders, start + CHUNK) + 1)
        age = {n: timedelta(minutes=_age_minutes(n)) for n in ids}
        order_rows = [
            {
                "id": n,
                "upstream_id": f"UP-{n}",
                "checkout_id": f"co-{n}",
                "dr_order_id": f"dr-{n}",
                "state": STATES[n % len(STATES)],
                "charges": [],
                "disputed": False,
                "snapshot": snapshot,
                "version": 3,
                "created_at": now - age[n],
                "updated_at": now - timedelta(hours=1),
            }
            for n in ids
        ]
        history = [
            {
                "order_id": n,
                "event_id": f"evt-{n}-{step}",
                "step": 0,
                "trigger": "accept",
                "from_state": "submitted" if step else None,
                "to_state": STATES[n % len(STATES)] if step else "submitted",
                "origin": "webhook",
                "event_type": "order.accepted",
                "recorded_at": now - age[n] + timedelta(seconds=step),
                "outcome": "applied",
            }
            for n in ids
            for step in range(3)
        ]
        effects = [
            {
                "order_id": n,
                "effect": "send_order_confirmation",
                "idempotency_key": f"UP-{n}:{k}",
                "payload": {"orderId": f"dr-{n}"},
                "status": "pending" if n <= 20 else "done",
                "attempts": 1,
                "next_attempt_at": now,
                "created_at": now - timedelta(minutes=30),
                "updated_at": now,
            }
            for n in ids
            for k in range(5)
        ]
        inbox = [
            {
                "event_id": f"in-{n}",
                "event_type": "order.accepted",
                "body": "{}",
                "status": "applied" if n > 10 else "received",
                "received_at": now - timedelta(minutes=5),
            }
            for n in ids
        ]
        with db.begin() as connection:
            for table, rows in ((ORDERS, order_rows), (HISTORY, history), (OUTBOX, effects)):
                connection.execute(insert(table), rows)
            connection.execute(insert(INBOX), inbox)


def _age_minutes(n: int) -> int:
    """Ended orders spread over 30 days; live ones a few minutes old, one in 100 a day old."""
    if STATES[n % len(STATES)] in {"complete", "fulfilled"}:
        return n % 43_200
    return 2_000 if n % 100 == 0 else n % 10


def analyze(db: DbEngine) -> None:
    """What autovacuum (PostgreSQL) or ``ANALYZE`` would have done to a live database."""
    statement = "VACUUM ANALYZE" if db.dialect.name == "postgresql" else "ANALYZE"
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))


def time_reads(db: DbEngine, repeat: int) -> list[float]:
    deadlines = deadlines_with()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        connection = db.connect().execution_options(**{READ_ONLY_OPTION: True})
        with connection, connection.begin():
            gauges = read_gauges(connection, now=datetime.now(UTC), deadlines=deadlines)
        times.append(time.perf_counter() - started)
    assert sum(gauges.orders.values()) > 0
    return times


def hook_cost(rounds: int) -> tuple[float, float]:
    """CPU seconds per delivery: bare app, and app behind the AnswerCounter."""
    from orderfsm.adapters.http.metrics import AnswerCounter
    from orderfsm.observability import Metrics

    answer = json.dumps({"id": "e5bf7399-49ba-4ea6-a217-65e8efcaee86", "status": "stored"})

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": answer.encode()})

    observed = AnswerCounter(receiver, path="/webhooks/digitalriver", metrics=Metrics())
    scope = {"type": "http", "method": "POST", "path": "/webhooks/digitalriver"}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Any) -> None:
        return None

    async def run(app: Any) -> float:
        started = time.process_time()
        for _ in range(rounds):
            await app(scope, receive, send)
        return (time.process_time() - started) / rounds

    bare, hooked = [], []
    for _ in range(5):  # alternate, so a noisy moment hits both
        bare.append(asyncio.run(run(receiver)))
        hooked.append(asyncio.run(run(observed)))
    return statistics.median(bare), statistics.median(hooked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temp folder)")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=20_000, help="deliveries per hook sample")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = f"sqlite:///{Path(folder) / 'metrics.db'}"
        if args.db:  # a schema of its own on PostgreSQL, dropped afterwards
            url = stack.enter_context(bench_schema(args.db))
        with Engine.open(url, create_if_empty=True) as engine:
            started = time.perf_counter()
            fill(engine.db, args.orders)
            filled = time.perf_counter() - started
            analyze(engine.db)
            reads = time_reads(engine.db, args.repeat)
        backend = "postgresql" if args.db else "sqlite"
        print(f"{args.orders} orders filled in {filled:.1f} s ({backend})")
        print(
            f"scrape read: median {statistics.median(reads) * 1000:.1f} ms, "
            f"min {min(reads) * 1000:.1f} ms, max {max(reads) * 1000:.1f} ms "
            f"over {len(reads)} reads"
        )
    bare, hooked = hook_cost(args.rounds)
    print(
        f"receiver hook: {bare * 1e6:.1f} us bare, {hooked * 1e6:.1f} us with the counter "
        f"(+{(hooked - bare) * 1e6:.1f} us)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
