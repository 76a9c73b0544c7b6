"""The fault run: real receivers and workers under SIGKILLs and database restarts, then a verdict.

Usage (from the repository's root)::

    python -m bench.fault_run --db sqlite --events 3000 --seconds 120 --seed 1
    python -m bench.fault_run --db postgres --events 3000 --seconds 120 --seed 1

It starts ``--receivers`` ``orderfsm serve`` and ``--workers`` ``orderfsm
worker`` processes on one database (a SQLite file, or a private PostgreSQL
server of its own: never the shared one), then for ``--seconds`` sends DR
webhooks for about ``--events`` distinct events (signed, shuffled, some
delivered twice or three times, some copies at once) from ``--senders``
threads, each retried until answered 2xx, while the platform's own lines
(submits, ``POST /orders`` answers) are applied beside them. Meanwhile it
SIGKILLs a random worker or receiver (a receiver only while the others
answer) about every ``--kill-every`` seconds and restarts it, and on
PostgreSQL crashes and restarts the database server every
``--restart-every`` seconds. Then the faults stop, the backlog drains,
and it checks (bench/faults/verdict.py) that every event answered 2xx was
stored and applied exactly once, every order equals a fault-free reference,
and no effect key was delivered twice but in the SIGKILL window. It prints
the counts and exits 1 when any check fails. The same seed gives the same
traffic and the same fault schedule (what the processes make of it varies).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from bench.faults import fleet, senders, traffic
from bench.faults.verdict import Verdict, judge
from orderfsm.errors import OrderFsmError
from orderfsm.journal import apply_entry, read_entry
from orderfsm.service import Engine

SETTLE_TIMEOUT_S = 240.0
RECEIVER_WAIT_S = 2.0
"""How long a receiver kill waits for the other receivers to answer (else a worker dies)."""
PLAN_GRACE_S = 60.0
"""How long past ``--seconds`` the faults still planned may take (restarts are slow under load)."""
RETRY_FOR_S = 300.0
"""How long a delivery (or a platform line) is retried (DR retries for days)."""
BACKLOG = text(
    "SELECT (SELECT count(*) FROM inbox WHERE status = 'received'), "
    "(SELECT count(*) FROM outbox WHERE status IN ('pending', 'failed'))"
)


@dataclass(frozen=True)
class FaultConfig:
    """One fault run's settings (the command's options)."""

    db: str = "sqlite"
    events: int = 1000
    seconds: float = 60.0
    seed: int = 1
    receivers: int = 2
    workers: int = 3
    senders: int = 8
    kill_every: float = 0.7
    restart_every: float = 15.0
    folder: Path | None = None


@dataclass
class Faults:
    """The schedule of kills and restarts, and what was done."""

    fleet_workers: list[fleet.Managed]
    fleet_receivers: list[fleet.Receiver]
    database: fleet.Database
    worker_kills: int = 0
    receiver_kills: int = 0

    def killed_worker_pids(self) -> set[int]:
        alive = {w.process.pid for w in self.fleet_workers if w.alive() and w.process}
        return {pid for w in self.fleet_workers for pid in w.pids} - alive

    def revive(self) -> None:
        """Start every process that is not running (a receiver exits when the database is down)."""
        for process in [*self.fleet_workers, *self.fleet_receivers]:
            if not process.alive():
                process.start()


def schedule(config: FaultConfig, rng: random.Random) -> list[tuple[float, str]]:
    """``(seconds from the start, "worker" | "receiver" | "database")``, in time order."""
    events: list[tuple[float, str]] = []
    at = rng.expovariate(1 / config.kill_every)
    while at < config.seconds:
        events.append((at, "worker" if rng.random() < 0.7 else "receiver"))
        at += rng.expovariate(1 / config.kill_every)
    if config.db == "postgres":
        restarts = max(1, int(config.seconds // config.restart_every))
        events += [(config.seconds * (k + 0.5) / restarts, "database") for k in range(restarts)]
    return sorted(events)


def run_faults(
    faults: Faults, plan: list[tuple[float, str]], rng: random.Random, stop: threading.Event
) -> None:
    """Carry out ``plan`` (until ``stop``): each victim SIGKILLed and started again at once."""
    start = time.monotonic()
    for at, what in plan:
        if stop.wait(max(0.0, start + at - time.monotonic())):
            return
        faults.revive()
        if what == "database":
            faults.database.restart()
            continue
        if what == "receiver" and not _all_answering(faults.fleet_receivers, stop):
            what = "worker"  # one receiver at a time: DR always finds one (behind a balancer)
        pool: list[fleet.Managed] = (
            list(faults.fleet_workers) if what == "worker" else list(faults.fleet_receivers)
        )
        victim = rng.choice([p for p in pool if p.alive()] or pool)
        if victim.alive():
            victim.kill()
            if what == "worker":
                faults.worker_kills += 1
            else:
                faults.receiver_kills += 1
        victim.start()


def _all_answering(receivers: list[fleet.Receiver], stop: threading.Event) -> bool:
    """Whether every receiver answers, waiting a little for one still starting."""
    deadline = time.monotonic() + RECEIVER_WAIT_S
    while not all(r.answering() for r in receivers):
        if stop.wait(0.2) or time.monotonic() > deadline:
            return False
    return True


def apply_platform_line(engine: Engine, line: traffic.PlatformLine) -> None:
    """What the platform records itself, retried while the database is down."""
    deadline = time.monotonic() + RETRY_FOR_S
    while True:
        try:
            apply_entry(engine, read_entry(line.line))
            return
        except OrderFsmError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def send_stream(
    config: FaultConfig,
    load: traffic.Traffic,
    engine: Engine,
    receivers: list[fleet.Receiver],
    tally: senders.Tally,
) -> None:
    """The stream, paced over ``config.seconds``: deliveries in threads, platform lines here."""
    pace = config.seconds * 0.9 / max(1, len(load.stream))
    in_flight = threading.BoundedSemaphore(config.senders * 2)
    rng = random.Random(config.seed + 1)
    start = time.monotonic()

    def send(delivery: traffic.Delivery) -> None:
        try:
            deadline = time.monotonic() + RETRY_FOR_S
            senders.deliver(http, delivery, receivers, tally, deadline=deadline, rng=rng.random)
        finally:
            in_flight.release()

    with senders.client(config.senders) as http, ThreadPoolExecutor(config.senders) as pool:
        for n, step in enumerate(load.stream):
            time.sleep(max(0.0, start + n * pace - time.monotonic()))
            if isinstance(step, traffic.PlatformLine):
                apply_platform_line(engine, step)
            else:
                in_flight.acquire()
                pool.submit(send, step)


def settle(url: str, answered: Callable[[], set[str]], faults: Faults) -> float:
    """Wait until nothing is left to apply or deliver; the seconds it took."""
    start = time.monotonic()
    with Engine.open(url) as engine:
        while time.monotonic() - start < SETTLE_TIMEOUT_S:
            faults.revive()
            with engine.db.connect() as connection:
                waiting_events, waiting_effects = connection.execute(BACKLOG).one()
                stored = {r[0] for r in connection.execute(text("SELECT event_id FROM inbox"))}
            if not waiting_events and not waiting_effects and answered() <= stored:
                return time.monotonic() - start
            time.sleep(0.25)
    return time.monotonic() - start


def run(config: FaultConfig, say: Callable[[str], None] = print) -> Verdict:
    """One fault run; its verdict (the counts)."""
    with tempfile.TemporaryDirectory(prefix="orderfsm-faults-") as scratch:
        folder = config.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        return _run_in(config, folder, say)


def _run_in(config: FaultConfig, folder: Path, say: Callable[[str], None]) -> Verdict:
    load = traffic.build(config.events, config.seed)
    reference = traffic.reference(load, folder)
    effects = folder / "effects.jsonl"
    rng = random.Random(config.seed)
    plan = schedule(config, rng)
    say(f"{len(load.event_ids)} events of {len(load.histories)} orders, {len(plan)} faults planned")
    with fleet.database(config.db, folder) as database:
        receivers = fleet.receivers(database.url, config.receivers, folder, effects)
        workers = fleet.workers(database.url, config.workers, folder, effects)
        faults = Faults(workers, receivers, database)
        tally = senders.Tally()
        stop = threading.Event()
        begun = time.monotonic()
        try:
            for process in [*receivers, *workers]:
                process.start()
            for receiver in receivers:
                if not fleet.wait_until_answering(receiver):
                    raise fleet.FleetError(f"{receiver.name} did not start: see {receiver.log}")
            chaos = threading.Thread(target=run_faults, args=(faults, plan, rng, stop))
            started = time.monotonic()
            say(f"processes up in {started - begun:.1f} s")
            chaos.start()
            with Engine.open(database.url) as engine:
                send_stream(config, load, engine, receivers, tally)
            chaos.join(max(0.0, started + config.seconds + PLAN_GRACE_S - time.monotonic()))
            stop.set()
            chaos.join()
            sent = time.monotonic() - started
            say(f"stream sent and faults done in {sent:.1f} s; settling")
            settled = settle(database.url, lambda: set(tally.answered), faults)
            say(f"settled in {settled:.1f} s")
        finally:
            stop.set()
            stopping = time.monotonic()
            fleet.stop_all([*workers, *receivers])
            say(f"processes stopped in {time.monotonic() - stopping:.1f} s")
        verdict = Verdict(
            deliveries=load.deliveries,
            distinct_events=len(load.event_ids),
            posts=tally.posts,
            answered_2xx=tally.answered_2xx,
            not_answered=tally.transport_errors,
            other_answers=dict(tally.other_answers),
            worker_kills=faults.worker_kills,
            receiver_kills=faults.receiver_kills,
            db_restarts=database.restarts,
            never_answered=len(load.event_ids - tally.answered),
        )
        return judge(
            verdict,
            database.url,
            answered=set(tally.answered),
            reference=reference,
            effects_file=effects,
            killed_workers=faults.killed_worker_pids(),
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fault_run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=FaultConfig.events)
    parser.add_argument("--seconds", type=float, default=FaultConfig.seconds)
    parser.add_argument("--seed", type=int, default=FaultConfig.seed)
    parser.add_argument("--receivers", type=int, default=FaultConfig.receivers)
    parser.add_argument("--workers", type=int, default=FaultConfig.workers)
    parser.add_argument("--senders", type=int, default=FaultConfig.senders)
    parser.add_argument("--kill-every", type=float, default=FaultConfig.kill_every)
    parser.add_argument("--restart-every", type=float, default=FaultConfig.restart_every)
    parser.add_argument("--keep", type=Path, help="keep the database and logs in this folder")
    parser.add_argument("--json", type=Path, help="also write the counts as JSON")
    args = parser.parse_args(argv)
    config = FaultConfig(
        db=args.db,
        events=args.events,
        seconds=args.seconds,
        seed=args.seed,
        receivers=args.receivers,
        workers=args.workers,
        senders=args.senders,
        kill_every=args.kill_every,
        restart_every=args.restart_every,
        folder=args.keep,
    )
    try:
        verdict = run(config)
    except fleet.FleetError as exc:
        print(f"fault run: {exc}", file=sys.stderr)
        return 2
    for line in verdict.lines():
        print(line)
    if args.json:
        args.json.write_text(json.dumps(verdict.counts(), indent=2))
    print("verdict: clean" if verdict.clean else "verdict: PROBLEMS FOUND")
    return 0 if verdict.clean else 1


if __name__ == "__main__":
    sys.exit(main())
