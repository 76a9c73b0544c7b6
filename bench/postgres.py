"""Benchmark 4: benchmark 2 on PostgreSQL with 1, 2 and 4 worker processes.

Orders are shared out among the workers (by order number); besides its own,
each worker also receives one event in twenty of the next worker's orders, so
concurrent duplicate deliveries happen on every run with more than one
worker. Workers are real processes that open their own connections, wait at
a barrier, then apply their events one transaction each; throughput is all
events over the slowest worker's time.

After each run the database is checked: every relevant event id has exactly
one first-step, non-duplicate history row, and every order ends in its
scenario's final state. The baseline is :mod:`bench.raw_sql` on ``psycopg``
with the same partition. Each run gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from typing import Any

from bench.harness import Better, Report, ratios
from bench.raw_sql import DEST, INTERNAL, POSTGRES, apply_bodies
from bench.workload import expected_final_states, is_event, journal_lines, sketch

POSTGRES_URL_ENV = "ORDERFSM_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DUPLICATE_EVERY = 20
WORKER_TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class PostgresSizes:
    """How much work benchmark 4 does."""

    orders: int = 240
    workers: tuple[int, ...] = (1, 2, 4)
    repeat: int = 3


@dataclass(frozen=True, slots=True)
class Counters:
    """What the database says after a run."""

    relevant_events: int
    first_rows: int
    most_rows_per_event: int
    duplicates: int
    final_states: dict[str, int]


def postgres_url() -> str:
    """The server to use: ``ORDERFSM_TEST_POSTGRES_URL``, else the local default."""
    return os.environ.get(POSTGRES_URL_ENV, "").strip() or DEFAULT_URL


@contextmanager
def bench_schema(base_url: str) -> Iterator[str]:
    """A fresh schema for one run; yields a URL whose connections use it; drops it."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    schema = f"orderfsm_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def partition(orders: int, workers: int) -> list[list[bytes]]:
    """Each worker's event bodies, in delivery order, with cross-worker duplicates."""
    shares: list[list[bytes]] = [[] for _ in range(workers)]
    seen = 0
    order_of = {sketch(n).dr_order_id: n for n in range(orders)}
    for line in journal_lines(orders):
        if not is_event(line):
            continue
        body = json.dumps(line, separators=(",", ":")).encode()
        obj = line["data"]["object"]
        owner = order_of[obj.get("orderId") or obj["id"]] % workers
        shares[owner].append(body)
        seen += 1
        if workers > 1 and seen % DUPLICATE_EVERY == 0:
            shares[(owner + 1) % workers].append(body)
    return shares


def relevant_ids(shares: Sequence[Sequence[bytes]]) -> set[str]:
    """The event ids the lifecycle acts on (each must be applied once)."""
    ids: set[str] = set()
    for share in shares:
        for body in share:
            event = json.loads(body)
            if event["type"] in DEST or event["type"] in INTERNAL:
                ids.add(event["id"])
    return ids


def submit_all(url: str, orders: int) -> None:
    """Bring the schema to head and submit every order (not timed)."""
    from orderfsm.service import Engine

    with Engine.open(url, create_if_empty=True) as engine:
        for n in range(orders):
            o = sketch(n)
            engine.submit(o.upstream_id, o.checkout_id)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as psycopg's own connection string."""
    import sqlalchemy as sa

    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def worker(mode: str, url: str, bodies: list[bytes], barrier: Barrier, results: Any) -> None:
    """One worker process: connect, wait for the others, apply ``bodies``, report seconds."""
    if mode == "engine":
        from orderfsm.service import Engine

        engine = Engine.open(url)
        barrier.wait()
        start = time.perf_counter()
        for body in bodies:
            engine.apply_event(body)
        results.put(time.perf_counter() - start)
        engine.close()
    else:
        import psycopg

        with psycopg.connect(libpq_url(url)) as connection:
            barrier.wait()
            start = time.perf_counter()
            apply_bodies(connection, POSTGRES, bodies)
            results.put(time.perf_counter() - start)


def run_workers(mode: str, url: str, shares: Sequence[list[bytes]]) -> float:
    """Start one process per share; return the slowest worker's seconds."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares))
    results = context.Queue()
    processes = [
        context.Process(target=worker, args=(mode, url, share, barrier, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    spans: list[float] = []
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while len(spans) < len(processes):
        try:
            spans.append(float(results.get(timeout=0.5)))
        except queue.Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                for process in processes:
                    process.kill()
                raise RuntimeError(
                    f"{mode} workers failed (exit codes {dead}) or timed out"
                ) from None
    for process in processes:
        process.join(timeout=60)
        if process.exitcode != 0:
            raise RuntimeError(f"{mode} worker exited with {process.exitcode}")
    return max(spans)


def counters(url: str, relevant: set[str]) -> Counters:
    """Read the correctness counters of a finished run."""
    import sqlalchemy as sa

    db = sa.create_engine(url, poolclass=sa.pool.NullPool)
    first = (  # first-step rows that count as the event's one application
        "FROM order_history WHERE step = 0 AND event_id IS NOT NULL "
        "AND outcome NOT IN ('duplicate', 'parked')"
    )
    try:
        with db.connect() as conn:
            first_rows = conn.execute(sa.text(f"SELECT count(*) {first}")).scalar_one()
            per_event = f"SELECT count(*) AS n {first} GROUP BY event_id"
            most = conn.execute(
                sa.text(f"SELECT coalesce(max(n), 0) FROM ({per_event}) AS per_event")
            ).scalar_one()
            duplicates = conn.execute(
                sa.text("SELECT count(*) FROM order_history WHERE outcome = 'duplicate'")
            ).scalar_one()
            rows = conn.execute(sa.text("SELECT state, count(*) FROM orders GROUP BY state"))
            states = {str(state): int(count) for state, count in rows}
    finally:
        db.dispose()
    return Counters(len(relevant), first_rows, most, duplicates, states)


def one_run(
    base_url: str, mode: str, orders: int, shares: Sequence[list[bytes]]
) -> tuple[float, Counters]:
    """Set up a schema, run the workers, read the counters, drop the schema."""
    relevant = relevant_ids(shares)
    with bench_schema(base_url) as url:
        submit_all(url, orders)
        seconds = run_workers(mode, url, shares)
        found = counters(url, relevant)
    return seconds, found


def check(found: Counters, orders: int, mode: str) -> None:
    """Raise unless every relevant event was applied once and every order converged."""
    if found.first_rows != found.relevant_events or found.most_rows_per_event != 1:
        raise AssertionError(f"{mode}: events not applied exactly once: {found}")
    if mode == "engine" and found.final_states != expected_final_states(orders):
        raise AssertionError(f"{mode}: orders did not converge: {found.final_states}")


def postgres_report(sizes: PostgresSizes = PostgresSizes(), url: str | None = None) -> Report:
    """Benchmark 4: engine vs raw psycopg throughput with 1, 2 and 4 workers."""
    base_url = url or postgres_url()
    report = Report(f"4. PostgreSQL, N worker processes ({sizes.orders:,} orders)")
    engine_rate: dict[int, list[float]] = {}
    for workers in sizes.workers:
        shares = partition(sizes.orders, workers)
        events = sum(len(s) for s in shares)
        engine_s: list[float] = []
        raw_s: list[float] = []
        last: Counters | None = None
        for rep in range(sizes.repeat):
            sides = [("engine", engine_s), ("raw", raw_s)]
            for mode, samples in sides if rep % 2 == 0 else reversed(sides):
                seconds, found = one_run(base_url, mode, sizes.orders, shares)
                check(found, sizes.orders, mode)
                samples.append(seconds)
                if mode == "engine":
                    last = found
        engine_rate[workers] = [events / s for s in engine_s]
        report.add(
            f"engine, {workers} worker(s)", "events/s", engine_rate[workers], better=Better.HIGHER
        )
        report.add(
            f"raw psycopg, {workers} worker(s)",
            "events/s",
            [events / s for s in raw_s],
            better=Better.HIGHER,
        )
        report.add(f"engine / raw, {workers} worker(s)", "x", ratios(engine_s, raw_s), target=2.0)
        if last is not None:
            report.notes.append(
                f"{workers} worker(s): {events} deliveries, {last.relevant_events} relevant event "
                f"ids, {last.first_rows} applied once each (max {last.most_rows_per_event} per "
                f"id), {last.duplicates} duplicates recorded, final states {last.final_states}"
            )
    first = sizes.workers[0]
    for workers in sizes.workers[1:]:
        report.add(
            f"engine scaling {workers} / {first} worker(s)",
            "x",
            ratios(engine_rate[workers], engine_rate[first]),
            better=Better.HIGHER,
        )
    return report
