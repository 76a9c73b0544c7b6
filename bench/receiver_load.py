"""Latency to 202 of the webhook receiver under concurrent senders (reported, not asserted).

Starts ``orderfsm serve`` in a subprocess on a free 127.0.0.1 port, then, for
each concurrency level, sends a bounded number of distinct, correctly signed
DR events from that many concurrent senders (asyncio, one keep-alive
connection each, requests written by hand so the client stays light) and
records the time from sending each request to receiving its 202. Prints
p50/p99/max per level and the throughput.

    python -m bench.receiver_load                      # SQLite in a temp folder
    python -m bench.receiver_load --db postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python -m bench.receiver_load --levels 10,50,200 --requests 600 --workers 2
    python -m bench.receiver_load --baseline --rounds 3   # beside bench.receiver_baseline

The load generator shares the machine with the server, so on a small machine
the figures include the generator's own queueing: read them as an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from orderfsm.samples.builders import Item, OrderSketch

SECRET = "whsec_bench_receiver_load"
ORDERFSM = str(Path(sys.executable).with_name("orderfsm"))


@dataclass(frozen=True)
class Level:
    """What one concurrency level measured."""

    senders: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    cpu_seconds: float | None = None
    """CPU the server process spent meanwhile (user + system, all its threads), if known."""

    def row(self) -> dict[str, object]:
        """The figures reported for this level."""
        ordered = sorted(self.latencies_ms)
        return {
            "senders": self.senders,
            "requests": self.requests,
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 2),
            "max_ms": round(ordered[-1], 2),
            "per_second": round(self.requests / self.seconds, 1),
            "cpu_us_per_request": (
                None if self.cpu_seconds is None else round(self.cpu_seconds / self.requests * 1e6)
            ),
            "statuses": dict(self.statuses),
        }


def event_bodies(count: int) -> list[bytes]:
    """Distinct, realistic ``order.accepted`` events (each a new event id)."""
    sketch = OrderSketch("240099999999", "co-bench", "SHOP-BENCH", [Item("it-1", "sku", 2, 20.0)])
    moment = datetime.now(UTC)
    order = sketch.order("accepted", moment, fraud_state="passed")
    bodies = []
    for _ in range(count):
        event = sketch.event("order.accepted", order, moment)
        event["id"] = str(uuid.uuid4())
        bodies.append(json.dumps(event).encode())
    return bodies


def process_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used so far; ``None`` off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (OSError, TypeError):
        return None
    # After the command: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_level(url: str, senders: int, bodies: list[bytes], pid: int | None = None) -> Level:
    """Send every body once, from ``senders`` concurrent keep-alive connections.

    With the server's ``pid``, the level also reports the CPU it spent per request.
    """
    target = httpx.URL(url)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    async def sender() -> None:
        reader, writer = await asyncio.open_connection(target.host, target.port)
        try:
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                writer.write(_request(target, body))
                statuses[await _read_status(reader)] += 1
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            writer.close()
            await writer.wait_closed()

    cpu_before = process_cpu(pid)
    began = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    seconds = time.perf_counter() - began
    cpu_after = process_cpu(pid)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Level(senders, len(bodies), seconds, latencies, statuses, cpu)


def _request(target: httpx.URL, body: bytes) -> bytes:
    # A hand-written HTTP/1.1 request: a full client's own overhead would
    # dominate the figures on a small machine (the server is what is measured).
    signature = sign(body, SECRET, int(time.time()))
    head = (
        f"POST {target.raw_path.decode()} HTTP/1.1\r\n"
        f"Host: {target.host}:{target.port}\r\n"
        f"{SIGNATURE_HEADER}: {signature}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(v) for k, _, v in (x.partition(":") for x in lines) if k.lower() == "content-length"),
        0,
    )
    await reader.readexactly(length)
    return int(lines[0].split()[1])


def start_server(
    db_url: str, workers: int, port: int, *, baseline: bool = False
) -> tuple[subprocess.Popen[str], str]:
    """``orderfsm serve`` (or the bare baseline) on ``port``, once it answers its health check."""
    argv = [
        *(ORDERFSM, "serve", "--db", db_url, "--port", str(port)),
        *("--workers", str(workers), "--log-level", "warning"),
    ]
    if baseline:
        argv = [sys.executable, "-m", "bench.receiver_baseline", "--db", db_url]
        argv += ["--port", str(port)]
    process = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ORDERFSM_WEBHOOK_SECRETS": SECRET},
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"orderfsm serve exited: {process.stderr.read()}")
        try:
            httpx.get(f"{base}/healthz", timeout=5)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("orderfsm serve did not start within 60 s")


def free_port() -> int:
    """A port nothing listens on (several uvicorn workers cannot report an OS-chosen one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main(argv: list[str] | None = None) -> int:
    """Run the levels; print a table and one JSON line per level."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temp folder)")
    parser.add_argument("--levels", default="10,50,200", help="concurrent senders, comma separated")
    parser.add_argument("--requests", type=int, default=600, help="requests per level")
    parser.add_argument("--workers", type=int, default=1, help="orderfsm serve --workers")
    parser.add_argument(
        "--baseline", action="store_true", help="also run bench.receiver_baseline, alternately"
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of all levels (medians)")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    kinds = ["orderfsm", "baseline"] if args.baseline else ["orderfsm"]
    with tempfile.TemporaryDirectory() as scratch:
        servers = {}
        for kind in kinds:
            db_url = args.db or f"sqlite:///{Path(scratch) / f'{kind}.db'}"
            servers[kind] = start_server(
                db_url, args.workers, free_port(), baseline=kind == "baseline"
            )
        results: dict[str, dict[int, list[Level]]] = {k: {n: [] for n in levels} for k in kinds}
        try:
            for _, base in servers.values():  # warm up: connections, pool
                asyncio.run(run_level(f"{base}/webhooks/digitalriver", 5, event_bodies(50)))
            for _ in range(args.rounds):
                for senders in levels:
                    for kind, (process, base) in servers.items():
                        url = f"{base}/webhooks/digitalriver"
                        bodies = event_bodies(args.requests)
                        level = asyncio.run(run_level(url, senders, bodies, process.pid))
                        results[kind][senders].append(level)
        finally:
            for process, _ in servers.values():
                process.send_signal(signal.SIGTERM)
                process.wait(30)
    backend = (args.db or "sqlite").split(":", 1)[0]
    print(
        f"receiver latency to 202 ({backend}, {args.workers} server process(es), "
        f"{os.cpu_count()} CPUs, median of {args.rounds} round(s))"
    )
    print(
        f"{'server':>9} {'senders':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} "
        f"{'CPU us':>7}"
    )
    rows = {k: {n: _median_row(results[k][n]) for n in levels} for k in kinds}
    for senders in levels:
        for kind in kinds:
            row = rows[kind][senders]
            print(
                f"{kind:>9} {senders:>8} {row['p50_ms']:>8} {row['p99_ms']:>8} "
                f"{row['max_ms']:>8} {row['per_second']:>8} {row['cpu_us_per_request']!s:>7}  "
                f"{row['statuses']}"
            )
        if args.baseline:
            ours, base_row = rows["orderfsm"][senders], rows["baseline"][senders]
            print(
                f"{'ratio':>9} {senders:>8} {'':>8} "
                f"{_ratio(ours['p99_ms'], base_row['p99_ms']):>8} {'':>8} "
                f"{_ratio(ours['per_second'], base_row['per_second']):>8}  orderfsm / baseline"
            )
    for kind in kinds:
        for senders in levels:
            print(
                json.dumps(
                    {
                        "bench": "receiver_load",
                        "server": kind,
                        "backend": backend,
                        **rows[kind][senders],
                    }
                )
            )
    return 0


def _median_row(levels: list[Level]) -> dict[str, object]:
    rows = [level.row() for level in levels]
    merged: dict[str, object] = dict(rows[0])
    for key in ("p50_ms", "p99_ms", "max_ms", "per_second"):
        merged[key] = round(statistics.median(float(str(row[key])) for row in rows), 2)
    cpu = [float(str(row["cpu_us_per_request"])) for row in rows if row["cpu_us_per_request"]]
    merged["cpu_us_per_request"] = round(statistics.median(cpu)) if cpu else None
    statuses: Counter[int] = Counter()
    for level in levels:
        statuses.update(level.statuses)
    merged["statuses"] = dict(statuses)
    return merged


def _ratio(ours: object, baseline: object) -> str:
    return f"{float(str(ours)) / float(str(baseline)):.2f}x"


if __name__ == "__main__":
    raise SystemExit(main())
