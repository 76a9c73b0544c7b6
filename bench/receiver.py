"""Benchmark 5: the webhook receiver under 10, 50 and 200 concurrent senders.

The load itself is :mod:`bench.receiver_load` (``orderfsm serve`` in a
subprocess on a free loopback port, senders on keep-alive connections from
this process); this module runs its levels several times and reports them
like every other benchmark: accepted events/s, and p50/p99 latency to 202.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Better, Report

MODULE = "bench.receiver_load"
TARGET_P99_MS = 50.0
TARGET_SENDERS = 50


@dataclass(frozen=True, slots=True)
class ReceiverSizes:
    """How much work benchmark 5 does."""

    levels: tuple[int, ...] = (10, 50, 200)
    requests: int = 600
    repeat: int = 3
    server_workers: int = 1


def available() -> bool:
    """True once ``bench/receiver_load.py`` (built on branch http) is here."""
    return importlib.util.find_spec(MODULE) is not None


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def receiver_report(sizes: ReceiverSizes = ReceiverSizes()) -> Report:
    """Benchmark 5: events/s and latency to 202 per concurrency level."""
    report = Report(
        f"5. webhook receiver, orderfsm serve on SQLite ({sizes.requests} events/level)"
    )
    if not available():
        report.notes.append(
            "pending: bench/receiver_load.py is built on branch http and has not landed yet"
        )
        return report
    load: Any = importlib.import_module(MODULE)
    rates: dict[int, list[float]] = {n: [] for n in sizes.levels}
    p50: dict[int, list[float]] = {n: [] for n in sizes.levels}
    p99: dict[int, list[float]] = {n: [] for n in sizes.levels}
    refused = 0
    with tempfile.TemporaryDirectory(prefix="orderfsm-bench-") as scratch:
        db_url = f"sqlite:///{Path(scratch) / 'receiver.db'}"
        process, base = load.start_server(db_url, sizes.server_workers, load.free_port())
        try:
            url = f"{base}/webhooks/digitalriver"
            asyncio.run(load.run_level(url, 5, load.event_bodies(50)))  # warm up
            for _ in range(sizes.repeat):
                for senders in sizes.levels:
                    level = asyncio.run(
                        load.run_level(url, senders, load.event_bodies(sizes.requests))
                    )
                    refused += sum(n for status, n in level.statuses.items() if status != 202)
                    rates[senders].append(level.requests / level.seconds)
                    p50[senders].append(percentile(level.latencies_ms, 0.50))
                    p99[senders].append(percentile(level.latencies_ms, 0.99))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
            if process.stderr is not None:  # start_server keeps it open for its own errors
                process.stderr.close()
    for senders in sizes.levels:
        report.add(f"{senders} senders, accepted", "events/s", rates[senders], better=Better.HIGHER)
        report.add(f"{senders} senders, p50 to 202", "ms", p50[senders])
        target = TARGET_P99_MS if senders == TARGET_SENDERS else None
        report.add(f"{senders} senders, p99 to 202", "ms", p99[senders], target=target)
    report.notes.append(
        f"{refused} answers other than 202; the senders share the machine with the server, "
        "so the latencies include their own queueing (an upper bound)"
    )
    return report
