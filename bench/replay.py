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
    """Benchmark 3: events/s of ``orderfsm apply``, and how cost grows with size.

    Each repetition runs the startup probe and every size back to back, so
    the growth ratio pairs runs made under the same load of the machine.
    """
    report = Report("3. journal replay: orderfsm apply, SQLite, end to end")
    with tempfile.TemporaryDirectory(prefix="orderfsm-bench-") as tmp:
        folder = Path(tmp)
        # Key 0: the startup probe, a journal of one order.
        journals = {0: (folder / "one.jsonl", write_journal(folder / "one.jsonl", 1))}
        for orders in sizes.orders:
            path = folder / f"journal-{orders}.jsonl"
            journals[orders] = (path, write_journal(path, orders))
        runs: dict[int, list[Run]] = {orders: [] for orders in journals}
        for _ in range(sizes.repeat):
            for orders, (path, _lines) in journals.items():
                runs[orders].append(apply_seconds(path, folder / f"replay-{orders}.db"))
                check_final_states(folder / f"replay-{orders}.db", orders or 1)
        if sizes.huge is not None:
            path = folder / f"journal-{sizes.huge}.jsonl"
            journals[sizes.huge] = (path, write_journal(path, sizes.huge))
            runs[sizes.huge] = [apply_seconds(path, folder / "replay-huge.db")]
            check_final_states(folder / "replay-huge.db", sizes.huge)
            path.unlink()
    startup = runs.pop(0)
    report.add("startup (1-order journal)", "s", [r.wall for r in startup])
    per_event: dict[int, list[float]] = {}
    for orders, done in runs.items():
        lines = journals[orders][1]
        report.add(
            f"{lines:,} lines end to end",
            "events/s",
            [lines / r.wall for r in done],
            target=20_000,
            better=Better.HIGHER,
        )
        report.add(
            f"{lines:,} lines, by CPU time",
            "events/s",
            [lines / r.cpu for r in done],
            better=Better.HIGHER,
        )
        # The startup probe of the same repetition is subtracted (the huge run: the least).
        base = (
            [s.cpu for s in startup] if len(done) == len(startup) else [min(s.cpu for s in startup)]
        )
        marginal = [max(r.cpu - b, 1e-9) / lines for r, b in zip(done, base, strict=False)]
        per_event[lines] = marginal
        report.add(f"{lines:,} lines, CPU beyond startup", "us/event", [m * 1e6 for m in marginal])
    add_growth(report, per_event)
    report.notes.append(f"{LINES_PER_ORDER} lines per order; final states checked after each run")
    return report


def check_final_states(db: Path, orders: int) -> None:
    """Raise unless every order of the journal ended in its scenario's final state."""
    got = final_states(db)
    if got != expected_final_states(orders):
        raise AssertionError(f"replay of {orders} orders ended in {got}")


def add_growth(report: Report, per_event: Mapping[int, Sequence[float]]) -> None:
    """Per-event cost of each larger journal over the smallest (linear growth: about 1)."""
    sizes = sorted(per_event)
    if len(sizes) < 2:
        return
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
