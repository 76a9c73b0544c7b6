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

from bench.harness import Better, Report, ratios

MODULE = "bench.receiver_load"
TARGET_P99_MS = 50.0
TARGET_SENDERS = 50
TARGET_RATE_RATIO = 1.0
"""Accepted events/s at least the bare baseline's (bench/receiver_baseline.py), issue 18."""
TARGET_RATE_SENDERS = (50, 200)
TARGET_P99_RATIO = 1.5
"""p99 at 50 senders at most 1.5x the bare baseline's."""


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
    base_rates: dict[int, list[float]] = {n: [] for n in sizes.levels}
    base_p99: dict[int, list[float]] = {n: [] for n in sizes.levels}
    refused = 0
    with tempfile.TemporaryDirectory(prefix="orderfsm-bench-") as scratch:
        servers = [
            load.start_server(
                f"sqlite:///{Path(scratch) / f'{kind}.db'}",
                sizes.server_workers,
                load.free_port(),
                baseline=kind == "baseline",
            )
            for kind in ("orderfsm", "baseline")
        ]
        try:
            urls = [f"{base}/webhooks/digitalriver" for _, base in servers]
            for url in urls:
                asyncio.run(load.run_level(url, 5, load.event_bodies(50)))  # warm up
            for _ in range(sizes.repeat):
                for senders in sizes.levels:
                    # orderfsm, then the bare baseline at once: one pair per repetition.
                    ours, bare = (
                        asyncio.run(load.run_level(url, senders, load.event_bodies(sizes.requests)))
                        for url in urls
                    )
                    refused += sum(n for status, n in ours.statuses.items() if status != 202)
                    rates[senders].append(ours.requests / ours.seconds)
                    p50[senders].append(percentile(ours.latencies_ms, 0.50))
                    p99[senders].append(percentile(ours.latencies_ms, 0.99))
                    base_rates[senders].append(bare.requests / bare.seconds)
                    base_p99[senders].append(percentile(bare.latencies_ms, 0.99))
        finally:
            for process, _ in servers:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
                if process.stderr is not None:  # start_server keeps it open for its own errors
                    process.stderr.close()
    for senders in sizes.levels:
        report.add(f"{senders} senders, accepted", "events/s", rates[senders], better=Better.HIGHER)
        report.add(f"{senders} senders, p50 to 202", "ms", p50[senders])
        target = TARGET_P99_MS if senders == TARGET_SENDERS else None
        report.add(f"{senders} senders, p99 to 202", "ms", p99[senders], target=target)
        report.add(
            f"{senders} senders, accepted / bare baseline",
            "x",
            ratios(rates[senders], base_rates[senders]),
            target=TARGET_RATE_RATIO if senders in TARGET_RATE_SENDERS else None,
            better=Better.HIGHER,
        )
        report.add(
            f"{senders} senders, p99 / bare baseline",
            "x",
            ratios(p99[senders], base_p99[senders]),
            target=TARGET_P99_RATIO if senders == TARGET_SENDERS else None,
        )
    report.notes.append(
        f"{refused} answers other than 202; the senders share the machine with the server, "
        "so the latencies include their own queueing (an upper bound)"
    )
    return report
