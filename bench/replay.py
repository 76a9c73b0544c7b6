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

import os
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
from bench.persisted import PRAGMAS
from bench.replay_floor import PARSER, replay_floor
from bench.workload import LINES_PER_ORDER, expected_final_states, write_journal
from orderfsm.service import Engine

ORDERFSM = Path(sys.executable).with_name("orderfsm")
GNU_TIME = "/usr/bin/time"
"""Measures each run's peak RSS (without it, none is reported: 0)."""


@dataclass(frozen=True, slots=True)
class ReplaySizes:
    """How much work benchmark 3 does: journal sizes in orders (10 lines each)."""

    orders: tuple[int, ...] = (1_000, 10_000)
    repeat: int = 3
    huge: int | None = None
    """A last, larger journal (in orders) run once: ``python -m bench --huge``."""


@dataclass(frozen=True, slots=True)
class Run:
    """One run: wall-clock seconds, CPU seconds, and peak resident memory (MB) of the process."""

    wall: float
    cpu: float
    peak_mb: float = 0.0


def fresh(db: Path) -> Path:
    """``db`` with any earlier file (and its WAL) removed."""
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    return db


def apply_seconds(journal: Path, db: Path) -> Run:
    """Time ``orderfsm apply`` on a fresh database file (its own rusage, by ``wait4``)."""
    fresh(db)
    peak = db.with_name(db.name + ".rss")
    # GNU time reports the peak RSS of orderfsm alone: a child forked from this
    # (large) process would count the fork's pages in its ru_maxrss.
    timer = [GNU_TIME, "-f", "%M", "-o", str(peak)] if Path(GNU_TIME).exists() else []
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            [*timer, str(ORDERFSM), "apply", "--db", f"sqlite:///{db}", str(journal)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            tail = stderr.read()[-2000:].decode(errors="replace")
            raise RuntimeError(f"orderfsm apply failed ({process.returncode}):\n{tail}")
    kilobytes = float(peak.read_text().split()[-1]) if timer else 0.0
    return Run(elapsed, usage.ru_utime + usage.ru_stime, kilobytes / 1024)


def floor_seconds(journal: Path, db: Path) -> Run:
    """Time the raw floor (:mod:`bench.replay_floor`) on the same journal, in this process."""
    with Engine.open(f"sqlite:///{fresh(db)}", create_if_empty=True):
        pass  # orderfsm's schema, no orders
    lines = journal.read_bytes().splitlines()
    start, cpu = time.perf_counter(), time.process_time()
    replay_floor(db, lines, PRAGMAS)
    return Run(time.perf_counter() - start, time.process_time() - cpu)


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
        largest = max(sizes.orders)
        floors: list[Run] = []
        for _ in range(sizes.repeat):
            for orders, (path, _lines) in journals.items():
                runs[orders].append(apply_seconds(path, folder / f"replay-{orders}.db"))
                check_final_states(folder / f"replay-{orders}.db", orders or 1)
            floors.append(floor_seconds(journals[largest][0], folder / "floor.db"))
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
    add_floor(report, journals[largest][1], runs[largest], floors, per_event[journals[largest][1]])
    for orders, done in runs.items():
        report.add(
            f"{journals[orders][1]:,} lines, peak RSS",
            "MB",
            [r.peak_mb for r in done],
            target=PEAK_RSS_MB if orders == sizes.huge else None,
        )
    report.notes.append(f"{LINES_PER_ORDER} lines per order; final states checked after each run")
    return report


PEAK_RSS_MB = 250.0
"""Issue 18, target 5: the 1,000,000-line replay stays under this resident size."""


def add_floor(
    report: Report, lines: int, runs: Sequence[Run], floors: Sequence[Run], marginal: list[float]
) -> None:
    """The raw floor beside the largest journal, and orderfsm's ratio to it (paired by round)."""
    floor_cpu = [f.cpu / lines for f in floors]
    report.add(
        f"raw floor ({PARSER} + sqlite3 executemany), {lines:,} lines, CPU",
        "us/event",
        [c * 1e6 for c in floor_cpu],
    )
    report.add(
        "raw floor throughput", "events/s", [lines / f.wall for f in floors], better=Better.HIGHER
    )
    report.add(
        "orderfsm / floor, CPU per event (beyond startup)",
        "x",
        ratios(marginal, floor_cpu),
        target=2.5,
    )
    report.add(
        "orderfsm / floor, wall clock end to end",
        "x",
        ratios([r.wall for r in runs], [f.wall for f in floors]),
    )


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
