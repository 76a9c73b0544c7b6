"""``make bench`` (``python -m bench``): run every benchmark and print its figures.

Usage::

    python -m bench                    # everything, full sizes (< 10 minutes on 2 cores)
    python -m bench --only dispatch persisted
    python -m bench --quick            # tiny sizes: checks the benchmarks run, figures meaningless
    python -m bench --huge             # adds one run of a 1,000,000-line journal to the replay
    python -m bench --json out.json    # also write every sample as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bench.harness import Report, render

NAMES = ("dispatch", "memory", "persisted", "replay", "postgres", "receiver", "harness", "startup")


def machine_description() -> str:
    """nproc, CPU model and Python version: what every figure depends on."""
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPU(s), {cpu}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


def benchmarks(quick: bool, huge: bool) -> dict[str, Callable[[], Report]]:
    """Each benchmark by name, sized for a full run or a quick one."""
    from bench import dispatch, persisted, postgres, property_harness, receiver, replay, startup

    if quick:
        d = dispatch.DispatchSizes(
            orders=200, repeat=2, small=100, large=1_000, add_model_orders=100
        )
        p = persisted.PersistedSizes(orders=10, repeat=2)
        r = replay.ReplaySizes(orders=(10, 20), repeat=1)
        g = postgres.PostgresSizes(orders=10, workers=(1, 2), repeat=1)
        h = receiver.ReceiverSizes(levels=(5, 20), requests=40, repeat=1)
        t = property_harness.HarnessSizes(examples=3, steps=5, repeat=1)
        s = startup.StartupSizes(repeat=1, commands=("show",))
    else:
        d = dispatch.DispatchSizes()
        p = persisted.PersistedSizes()
        r = replay.ReplaySizes(huge=100_000 if huge else None)
        g = postgres.PostgresSizes()
        h = receiver.ReceiverSizes()
        t = property_harness.HarnessSizes()
        s = startup.StartupSizes()
    return {
        "dispatch": lambda: dispatch.dispatch_report(d),
        "memory": lambda: dispatch.memory_report(d),
        "persisted": lambda: persisted.persisted_report(p),
        "replay": lambda: replay.replay_report(r),
        "postgres": lambda: postgres.postgres_report(g),
        "receiver": lambda: receiver.receiver_report(h),
        "harness": lambda: property_harness.harness_report(t),
        "startup": lambda: startup.startup_report(s),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; print each table as soon as it is measured."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    parser.add_argument("--huge", action="store_true", help="add a 1M-line journal replay")
    parser.add_argument("--json", type=Path, help="write every sample to this file")
    args = parser.parse_args(argv)
    print(f"machine: {machine_description()}", flush=True)
    runs = benchmarks(args.quick, args.huge)
    reports: list[Report] = []
    started = time.perf_counter()
    for name in args.only:
        began = time.perf_counter()
        report = runs[name]()
        reports.append(report)
        print(f"\n{render(report)}\n  ({time.perf_counter() - began:.1f} s)", flush=True)
    print(f"\ntotal {time.perf_counter() - started:.1f} s", flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": machine_description(), "reports": [asdict(r) for r in reports]},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
