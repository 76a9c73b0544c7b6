"""Benchmark 3: ``orderfsm apply`` on a generated journal, end to end.

The command runs as a user runs it: a fresh process (``orderfsm apply --db
sqlite:///FILE JOURNAL``) on a new SQLite file, timed from launch to exit.
Startup (interpreter, imports, migrations) is measured on a one-order journal
and reported apart, so the per-event cost of each size shows whether the cost
grows linearly with the journal. The target is wall-clock events/s; the
growth check uses the process's CPU time, which other processes' load on a
shared machine does not inflate.
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench.harness import Better, Report, ratios
from bench.workload import LINES_PER_ORDER, expected_final_states, write_journal

ORDERFSM = Path(sys.executable).with_name("orderfsm")


@dataclass(frozen=True, slots=True)
class ReplaySizes:
    """How much work benchmark 3 does: journal sizes in orders (10 lines each)."""

    orders: tuple[int, ...] = (1_000, 10_000)
    repeat: int = 3
    huge: int | None = None
    """A last, larger journal (in orders) run once: ``python -m bench --huge``."""


@dataclass(frozen=True, slots=True)
class Run:
    """One ``orderfsm apply``: wall-clock seconds, and CPU seconds of the process."""

    wall: float
    cpu: float


def apply_seconds(journal: Path, db: Path) -> Run:
    """Time ``orderfsm apply`` on a fresh database file."""
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(ORDERFSM), "apply", "--db", f"sqlite:///{db}", str(journal)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"orderfsm apply failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(elapsed, cpu)


def final_states(db: Path) -> dict[str, int]:
    """How many orders are in each state."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT state, count(*) FROM orders GROUP BY state").fetchall()
        return {str(state): int(count) for state, count in rows}
    finally:
        connection.close()


def replay_report(sizes: ReplaySizes = ReplaySizes()) -> Report:
    """Benchmark 3: events/s of ``orderfsm apply``, and how cost grows with size."""
    report = Report("3. journal replay: orderfsm apply, SQLite, end to end")
    per_event: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="orderfsm-bench-") as tmp:
        folder = Path(tmp)
        one = folder / "one.jsonl"
        write_journal(one, 1)
        startup = [apply_seconds(one, folder / "one.db") for _ in range(sizes.repeat)]
        report.add("startup (1-order journal)", "s", [r.wall for r in startup])
        startup_cpu = min(r.cpu for r in startup)
        plan = [(orders, sizes.repeat) for orders in sizes.orders]
        if sizes.huge is not None:
            plan.append((sizes.huge, 1))
        for orders, repeat in plan:
            journal = folder / f"journal-{orders}.jsonl"
            lines = write_journal(journal, orders)
            db = folder / f"replay-{orders}.db"
            runs = [apply_seconds(journal, db) for _ in range(repeat)]
            got = final_states(db)
            if got != expected_final_states(orders):
                raise AssertionError(f"replay of {orders} orders ended in {got}")
            journal.unlink()
            report.add(
                f"{lines:,} lines end to end",
                "events/s",
                [lines / r.wall for r in runs],
                target=20_000,
                better=Better.HIGHER,
            )
            report.add(
                f"{lines:,} lines, by CPU time",
                "events/s",
                [lines / r.cpu for r in runs],
                better=Better.HIGHER,
            )
            marginal = [max(r.cpu - startup_cpu, 1e-9) / lines for r in runs]
            per_event[lines] = marginal
            report.add(
                f"{lines:,} lines, CPU beyond startup", "us/event", [m * 1e6 for m in marginal]
            )
    add_growth(report, per_event)
    report.notes.append(f"{LINES_PER_ORDER} lines per order; final states checked after each size")
    return report


def add_growth(report: Report, per_event: Mapping[int, Sequence[float]]) -> None:
    """Per-event cost of each larger journal over the smallest (linear growth: about 1)."""
    sizes = sorted(per_event)
    smallest = per_event[sizes[0]]
    for larger in sizes[1:]:
        samples = per_event[larger]
        paired = len(samples) == len(smallest)
        report.add(
            f"per-event cost {larger:,} / {sizes[0]:,} lines",
            "x",
            ratios(samples, smallest) if paired else [s / median(smallest) for s in samples],
            target=1.25,
        )
