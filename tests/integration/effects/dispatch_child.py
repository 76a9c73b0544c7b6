"""A dispatcher process for the crash and concurrency tests (run as a script, never imported).

Its handler records each delivery in a *receiver* database (``deliveries``:
one row per call, with key, attempt and pid) before returning. It can be told
to SIGKILL itself at its Nth delivery, either just before calling the
receiver or just after the receiver committed (before the dispatcher marks
the row ``done``).

    dispatch_child.py DB_URL RECEIVER_URL [--kill-before N | --kill-after N]
        [--clock-offset SECONDS] [--batch N] [--work SECONDS] [--wait-for-go]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from orderfsm.dispatch import DispatchConfig, Dispatcher, Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import open_engine
from orderfsm.persistence.database import utcnow

RECEIVER = sa.MetaData()
DELIVERIES = sa.Table(
    "deliveries",
    RECEIVER,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("receiver_url")
    parser.add_argument("--kill-before", type=int, default=0)
    parser.add_argument("--kill-after", type=int, default=0)
    parser.add_argument("--clock-offset", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--work", type=float, default=0.0)
    parser.add_argument("--wait-for-go", action="store_true")
    args = parser.parse_args()

    print(f"pid={os.getpid()}", flush=True)
    receiver = open_engine(args.receiver_url)
    RECEIVER.create_all(receiver)
    calls = 0

    def record(effect: Effect[Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == args.kill_before:
            os.kill(os.getpid(), signal.SIGKILL)
        if args.work:
            time.sleep(args.work)  # real work takes time; lets other processes interleave
        with receiver.begin() as connection:
            connection.execute(
                DELIVERIES.insert().values(key=effect.key, attempt=effect.attempt, pid=os.getpid())
            )
        if calls == args.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    registry = HandlerRegistry({name: record for name in EffectName})
    offset = timedelta(seconds=args.clock_offset)
    dispatcher = Dispatcher(
        open_engine(args.db_url),
        registry,
        # One handler at a time: the tests kill it at its Nth call, and count the calls before.
        DispatchConfig(batch_size=args.batch, handler_slots=1),
        clock=lambda: utcnow() + offset,
    )
    if args.wait_for_go:
        print("ready", flush=True)
        sys.stdin.readline()
    report = dispatcher.run_once()
    print(f"done={report.done} retried={report.retried} dead={report.dead} lost={report.lost}")


if __name__ == "__main__":
    main()
