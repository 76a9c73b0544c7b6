"""How long ``reconcile`` takes to read and apply N DR events from the sandbox (real HTTP).

Run: ``.venv/bin/python bench/reconcile_events.py --events 10000 [--db URL]``.
Orders are submitted first (not timed); every webhook is lost (no receiver);
then one reconcile run is timed: GET /events pages, the inbox, the engine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from orderfsm import Engine
from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.sandbox import sandbox_in_thread
from orderfsm.service.reconcile import reconcile
from orderfsm.service.submission import submit_to_dr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        with (
            sandbox_in_thread() as sandbox,
            Engine.open(url, create_if_empty=True) as engine,
            DrClient(DrApiConfig(secret_key=sandbox.key, base_url=sandbox.url)) as client,
        ):
            number = 0
            while len(sandbox.state.events) < args.events:
                # review_then_accepted: two events per order.
                submit_to_dr(engine, client, f"B-{number}", f"review_then_accepted-{number}")
                number += 1
            started = time.perf_counter()
            report = reconcile(engine, client)
            elapsed = time.perf_counter() - started
    print(f"{report.line()} in {elapsed:.1f} s ({report.fetched / elapsed:.0f} events/s)")


if __name__ == "__main__":
    main()
