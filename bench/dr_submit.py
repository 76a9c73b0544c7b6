"""Submit latency against the local DR sandbox: ``submit_to_dr`` end to end, p50/p99.

Each submit records the submit, sends ``POST /orders`` over real HTTP to an
``orderfsm sandbox`` process, and records the answer in the database. With
``--lose-every K`` every K-th answer is lost on the wire (the sandbox makes
the order, then closes the connection), so the recovery path (a lookup by
checkout id) is measured too, apart from the plain one.

Usage::

    python -m bench.dr_submit                      # 200 submits, SQLite in a temp dir
    python -m bench.dr_submit --n 500 --lose-every 10
    python -m bench.dr_submit --db postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL each run gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.postgres import bench_schema
from orderfsm import Engine
from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.service.submission import submit_to_dr

ORDERFSM = str(Path(sys.executable).with_name("orderfsm"))
PRINTED = re.compile(r"^DR sandbox on (\S+) \(key (\S+)\)$")


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0-1) by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def describe(name: str, samples: list[float]) -> str:
    """One line of figures in milliseconds."""
    if not samples:
        return f"{name:>9}: none"
    ms = [s * 1000 for s in samples]
    return (
        f"{name:>9}: n={len(ms)} p50={percentile(ms, 0.5):.2f} ms p90={percentile(ms, 0.9):.2f} ms "
        f"p99={percentile(ms, 0.99):.2f} ms max={max(ms):.2f} ms mean={statistics.fmean(ms):.2f} ms"
    )


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """The URL to run on: a temp SQLite file, or a fresh PostgreSQL schema."""
    if url is not None and url.startswith("postgresql"):
        with bench_schema(url) as schema_url:
            yield schema_url
        return
    with tempfile.TemporaryDirectory() as scratch:
        yield url or f"sqlite:///{Path(scratch) / 'bench.db'}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="submits to time")
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--lose-every", type=int, default=0, help="lose every K-th answer")
    args = parser.parse_args(argv)

    sandbox = subprocess.Popen(
        [ORDERFSM, "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sandbox.stdout is not None
        found = PRINTED.match(sandbox.stdout.readline().strip())
        assert found, "the sandbox did not print its URL"
        url, key = found.groups()
        with database(args.db) as db:
            run_id = f"{time.time_ns():x}"
            plain, recovered = [], []
            with (
                Engine.open(db, create_if_empty=True) as engine,
                DrClient(DrApiConfig(secret_key=key, base_url=url)) as client,
            ):
                # Warm-up: connection pool, SQLite file, first imports.
                submit_to_dr(engine, client, f"WARM-{run_id}", f"chk-warm-{run_id}")
                started = time.perf_counter()
                for n in range(args.n):
                    lose = args.lose_every > 0 and n % args.lose_every == args.lose_every - 1
                    if lose:
                        httpx.post(f"{url}/_sandbox/faults", json={"spec": "lose=1"})
                    t0 = time.perf_counter()
                    result = submit_to_dr(engine, client, f"B-{run_id}-{n}", f"chk-{run_id}-{n}")
                    elapsed = time.perf_counter() - t0
                    assert result.state == "accepted", result
                    (recovered if result.recovered else plain).append(elapsed)
                total = time.perf_counter() - started
        print(f"submit_to_dr against the sandbox ({url}), database {db.split(':')[0]}")
        print(describe("answered", plain))
        print(describe("recovered", recovered))
        print(f"   overall: {args.n / total:.1f} submits/s over {total:.2f} s (one thread)")
    finally:
        sandbox.send_signal(signal.SIGTERM)
        sandbox.wait(30)


if __name__ == "__main__":
    main()
