"""A dispatcher process for the crash and concurrency tests (run as a script).

Its handler records each delivery in a *receiver* database (``deliveries``:
one row per call, with key, attempt and pid) before returning. It can be told
to SIGKILL itself at its Nth delivery, either just before calling the
receiver or just after the receiver committed (before the dispatcher marks
the row ``done``).

    dispatch_child.py DB_URL RECEIVER_URL [--kill-before N | --kill-after N]
        [--clock-offset SECONDS] [--batch N] [--work SECONDS] [--wait-for-go]

A test that needs a dispatcher no one kills (the one restarted after a crash)
calls :func:`dispatch` in its own process instead of starting another.
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

from orderfsm.dispatch import DispatchConfig, Dispatcher, DispatchReport, Effect, HandlerRegistry
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
    report = dispatch(
        args.db_url,
        args.receiver_url,
        kill_before=args.kill_before,
        kill_after=args.kill_after,
        clock_offset=args.clock_offset,
        batch=args.batch,
        work=args.work,
        wait_for_go=args.wait_for_go,
    )
    print(f"done={report.done} retried={report.retried} dead={report.dead} lost={report.lost}")


def dispatch(
    db_url: str,
    receiver_url: str,
    *,
    kill_before: int = 0,
    kill_after: int = 0,
    clock_offset: float = 0.0,
    batch: int = 20,
    work: float = 0.0,
    wait_for_go: bool = False,
) -> DispatchReport:
    """One dispatcher pass recording each delivery in ``receiver_url`` (see the docstring)."""
    receiver = open_engine(receiver_url)
    RECEIVER.create_all(receiver)
    calls = 0

    def record(effect: Effect[Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == kill_before:
            os.kill(os.getpid(), signal.SIGKILL)
        if work:
            time.sleep(work)  # real work takes time; lets other processes interleave
        with receiver.begin() as connection:
            connection.execute(
                DELIVERIES.insert().values(key=effect.key, attempt=effect.attempt, pid=os.getpid())
            )
        if calls == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    registry = HandlerRegistry({name: record for name in EffectName})
    offset = timedelta(seconds=clock_offset)
    db = open_engine(db_url)
    dispatcher = Dispatcher(
        db,
        registry,
        # One handler at a time: the tests kill it at its Nth call, and count the calls before.
        DispatchConfig(batch_size=batch, handler_slots=1),
        clock=lambda: utcnow() + offset,
    )
    if wait_for_go:
        print("ready", flush=True)
        sys.stdin.readline()
    try:
        return dispatcher.run_once()
    finally:
        db.dispose()
        receiver.dispose()


if __name__ == "__main__":
    main()
