"""``orderfsm reconcile`` against the sandbox over real HTTP: a receiver down for the whole
history, then reconcile brings every order to DR's state, each event applied once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import sqlalchemy as sa

from orderfsm import Engine
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.inbox import InboxPolicy, drain_inbox
from orderfsm.persistence.cursors import read_cursor
from orderfsm.persistence.database import utcnow
from orderfsm.sandbox import RunningSandbox
from orderfsm.service.reconcile import reconcile
from orderfsm.service.submission import submit_to_dr
from tests.dr_helpers import requests_seen, sandbox_and_client, set_faults
from tests.e2e.http_receiver import ORDERFSM, running_receiver, signed_headers

TIMEOUT_S = 120
SECRET = "whsec_reconcile_e2e"
FATES = ("accepted", "review_then_accepted", "pending_then_accepted", "payment_failed")


def submit_orders(engine: Engine, client: DrClient, count: int) -> None:
    """``count`` orders of every fate, submitted; the sandbox walks each to its end at once."""
    for number in range(count):
        fate = FATES[number % len(FATES)]
        submit_to_dr(engine, client, f"SHOP-{number}", f"{fate}-{number}")


def run_reconcile(sandbox: RunningSandbox, db: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [ORDERFSM, "reconcile", "--db", db, "--json", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, "ORDERFSM_DR_API_URL": sandbox.url, "ORDERFSM_DR_API_KEY": sandbox.key},
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def outbox_keys(db: str) -> list[str]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            return sorted(
                connection.execute(sa.text("SELECT idempotency_key FROM outbox")).scalars()
            )
    finally:
        engine.dispose()


def assert_converged(engine: Engine, sandbox: RunningSandbox) -> None:
    """Every order in DR's state, and no DR event applied twice to any order."""
    for dr_order in sandbox.state.orders.values():
        view = engine.show(dr_order.id)
        assert view.state == dr_order.state, view.upstream_id
        applied = [h.event_id for h in view.history if h.event_id and h.outcome == "applied"]
        assert not [e for e, n in Counter(applied).items() if n > 1], view.upstream_id


def test_every_webhook_lost_then_reconcile_converges_and_a_second_run_applies_nothing(
    db_url: str,
) -> None:
    # No webhook URL: the receiver was down for the whole history.
    with (
        Engine.open(db_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        submit_orders(engine, client, 8)
        lagging = [v.upstream_id for v in engine.orders() if v.state != "accepted"]
        events = len(sandbox.state.events)
        first = run_reconcile(sandbox, db_url)
        effects = outbox_keys(db_url)
        second = run_reconcile(sandbox, db_url)
        assert_converged(engine, sandbox)
        states = Counter(v.state for v in engine.orders())

    assert lagging, "some orders must wait for their webhooks"
    assert (first["fetched"], first["new"], first["duplicates"]) == (events, events, 0)
    assert first["applied"] == events
    assert (second["new"], second["applied"]) == (0, 0)
    assert second["duplicates"] == second["fetched"] == events
    assert outbox_keys(db_url) == effects and len(effects) == len(set(effects))
    assert len(states) > 1, "the fates end in different states"


def test_webhooks_delivered_after_a_reconcile_are_duplicates(sqlite_url: str) -> None:
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
        running_receiver(sqlite_url, env={"ORDERFSM_WEBHOOK_SECRETS": SECRET}) as receiver,
    ):
        submit_orders(engine, client, 4)
        report = run_reconcile(sandbox, sqlite_url)
        answers = []
        for event in sandbox.state.events:
            body = json.dumps(event).encode()
            answers.append(
                httpx.post(
                    receiver.webhook_url,
                    content=body,
                    headers=signed_headers(body, SECRET),
                    timeout=30,
                ).json()["status"]
            )

    assert report["new"] == len(answers) > 0
    assert set(answers) == {"duplicate"}


def test_more_than_a_page_of_events_is_read_with_starting_after(sqlite_url: str) -> None:
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        submit_orders(engine, client, 100)
        events = len(sandbox.state.events)
        report = reconcile(engine, client)
        pages = [r for r in requests_seen(sandbox) if r["path"].startswith("/events")]
        assert_converged(engine, sandbox)

    assert events > 100
    assert (report.fetched, report.new) == (events, events)
    assert len(pages) == -(-events // 100)


@contextmanager
def reconcile_process(sandbox: RunningSandbox, db: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [ORDERFSM, "reconcile", "--db", db, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ORDERFSM_DR_API_URL": sandbox.url, "ORDERFSM_DR_API_KEY": sandbox.key},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=TIMEOUT_S)


def test_a_reconcile_killed_mid_way_and_a_rerun_lose_nothing_and_apply_nothing_twice(
    sqlite_url: str,
) -> None:
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        submit_orders(engine, client, 320)
        events = len(sandbox.state.events)
        with reconcile_process(sandbox, sqlite_url) as process:
            deadline = time.monotonic() + TIMEOUT_S
            while read_cursor(engine.db).run is None:
                assert process.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < deadline
                time.sleep(0.005)
            # DR now holds every call for 30 s: the run is stopped between two pages.
            set_faults(sandbox, "429=100@30")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=TIMEOUT_S)
        killed_at = read_cursor(engine.db).run
        set_faults(sandbox, "")
        stored_before = len(sandbox.state.events)  # unchanged: DR made no new events
        rerun = run_reconcile(sandbox, sqlite_url)
        # Killed while applying, the run left leases: a worker takes those entries
        # once the leases run out (here: a clock past them).
        drain_inbox(engine, clock=lambda: utcnow() + InboxPolicy().lease * 2)
        assert_converged(engine, sandbox)
        with engine.db.connect() as connection:
            inbox = Counter(connection.execute(sa.text("SELECT status FROM inbox")).scalars())

    assert process.returncode == -signal.SIGKILL
    assert killed_at is not None and stored_before == events > 300
    assert rerun["resumed"] is True
    assert rerun["fetched"] < events
    assert inbox == {"applied": events}


def test_a_since_older_than_dr_retention_is_refused_in_one_line(sqlite_url: str) -> None:
    with sandbox_and_client() as (sandbox, _client):
        env = {**os.environ, "ORDERFSM_DR_API_URL": sandbox.url, "ORDERFSM_DR_API_KEY": sandbox.key}
        old = subprocess.run(
            [ORDERFSM, "reconcile", "--db", sqlite_url, "--since", "2020-01-01T00:00:00Z"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
        )
        days = subprocess.run(
            [ORDERFSM, "reconcile", "--db", sqlite_url, "--days", "31"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
        )
        asked = [r for r in requests_seen(sandbox) if r["path"].startswith("/events")]

    assert old.returncode == 1 and old.stdout == ""
    assert old.stderr.count("\n") == 1
    assert "older than DR's 30-day event retention" in old.stderr
    assert days.returncode == 2 and "DR keeps events 30 days" in days.stderr
    assert asked == []
