"""Benchmark 2: one webhook event's full path on SQLite (WAL), one worker.

The candidate is :meth:`Engine.apply_event` on the raw body: parse with the DR
adapter, deduplicate, find the order, fire, update the order, append history,
enqueue effects, commit. The baseline is :mod:`bench.raw_sql` on ``sqlite3``
with orderfsm's own PRAGMAs and schema. Both start from a copy of the same
database (every order submitted) and apply the same bodies in the same order.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Better, Report, ratios, timed
from bench.raw_sql import SQLITE, apply_bodies
from bench.workload import is_event, journal_lines, sketch
from orderfsm.persistence.database import SQLITE_BUSY_TIMEOUT_MS
from orderfsm.service import Engine

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
"""What orderfsm sets on every SQLite connection (see ``persistence.database``)."""


@dataclass(frozen=True, slots=True)
class PersistedSizes:
    """How much work benchmark 2 does."""

    orders: int = 300
    repeat: int = 5


def event_bodies(orders: int) -> list[bytes]:
    """The webhook events of ``orders`` orders' journals, as DR would POST them."""
    return [
        json.dumps(line, separators=(",", ":")).encode()
        for line in journal_lines(orders)
        if is_event(line)
    ]


def submitted_database(path: Path, orders: int) -> Path:
    """A SQLite file at the current schema with every order submitted."""
    with Engine.open(f"sqlite:///{path}", create_if_empty=True) as engine:
        for n in range(orders):
            o = sketch(n)
            engine.submit(o.upstream_id, o.checkout_id)
    return path


def raw_connection(path: Path) -> sqlite3.Connection:
    """A ``sqlite3`` connection set up exactly as orderfsm sets up its own."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        connection.execute(pragma)
    return connection


Timing = tuple[float, float]
"""(wall-clock seconds, CPU seconds of this process)."""


def both_clocks(action: Callable[[], object]) -> Timing:
    """Wall-clock and CPU seconds of ``action`` (CPU time ignores other processes' load)."""
    cpu_start = time.process_time()
    wall = timed(action)
    return wall, time.process_time() - cpu_start


def run_engine(path: Path, bodies: list[bytes]) -> Timing:
    """Time the engine applying ``bodies`` one by one (opening not timed)."""
    with Engine.open(f"sqlite:///{path}") as engine:
        engine.apply_event(bodies[0])  # warm the statement caches, as a live worker is

        def apply_all() -> None:
            for body in bodies[1:]:
                engine.apply_event(body)

        return both_clocks(apply_all)


def run_raw(path: Path, bodies: list[bytes]) -> Timing:
    """Time the raw ``sqlite3`` baseline applying ``bodies``."""
    connection = raw_connection(path)
    try:
        apply_bodies(connection, SQLITE, bodies[:1])
        return both_clocks(lambda: apply_bodies(connection, SQLITE, bodies[1:]))
    finally:
        connection.close()


def row_counts(path: Path) -> tuple[int, int]:
    """(history rows, outbox rows) in a database: the work either side stored."""
    connection = sqlite3.connect(path)
    try:
        history = connection.execute("SELECT count(*) FROM order_history").fetchone()[0]
        outbox = connection.execute("SELECT count(*) FROM outbox").fetchone()[0]
        return int(history), int(outbox)
    finally:
        connection.close()


def persisted_report(sizes: PersistedSizes = PersistedSizes()) -> Report:
    """Benchmark 2: engine vs raw sqlite3, per event, one transaction each."""
    bodies = event_bodies(sizes.orders)
    timed_events = len(bodies) - 1
    engine_s: list[Timing] = []
    raw_s: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="orderfsm-bench-") as tmp:
        template = submitted_database(Path(tmp) / "template.db", sizes.orders)
        counts: dict[str, tuple[int, int]] = {}
        for rep in range(sizes.repeat):
            sides = [("engine", run_engine, engine_s), ("raw", run_raw, raw_s)]
            for name, run, samples in sides if rep % 2 == 0 else reversed(sides):
                db = Path(tmp) / f"{name}-{rep}.db"
                shutil.copyfile(template, db)
                wall, cpu_s = run(db, bodies)
                samples.append((wall / timed_events, cpu_s / timed_events))
                counts[name] = row_counts(db)
                db.unlink()
    report = Report(
        f"2. one event's full path, SQLite WAL, one worker ({timed_events:,} events, "
        f"{sizes.orders:,} orders)"
    )
    engine_wall, engine_cpu = [w for w, _ in engine_s], [c for _, c in engine_s]
    raw_wall, raw_cpu = [w for w, _ in raw_s], [c for _, c in raw_s]
    report.add("engine apply_event, CPU", "us/event", [s * 1e6 for s in engine_cpu])
    report.add("raw sqlite3, CPU", "us/event", [s * 1e6 for s in raw_cpu])
    report.add("engine / raw sqlite3, CPU", "x", ratios(engine_cpu, raw_cpu), target=3.0)
    report.add("engine / raw sqlite3, wall clock", "x", ratios(engine_wall, raw_wall))
    report.add("engine throughput", "events/s", [1 / s for s in engine_wall], better=Better.HIGHER)
    report.add("raw throughput", "events/s", [1 / s for s in raw_wall], better=Better.HIGHER)
    engine_rows, raw_rows = counts["engine"], counts["raw"]
    report.notes.append(
        f"rows stored (history, outbox): engine {engine_rows}, raw {raw_rows}; the engine "
        "also records walks step by step"
    )
    return report
