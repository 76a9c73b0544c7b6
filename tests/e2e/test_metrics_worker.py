"""``orderfsm worker --log-format json`` lines and ``--metrics-port``, in real worker processes."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from orderfsm import Engine
from orderfsm.samples.builders import Item, OrderSketch
from tests.dr_helpers import requests_seen, sandbox_and_client
from tests.e2e.worker_support import (
    REPO,
    Output,
    outbox,
    stopped,
    store_webhook,
    wait_until,
)
from tests.support.cli import ORDERFSM, run_orderfsm
from tests.support.metrics import Samples, parse
from tests.support.net import free_port

T0 = datetime.now(UTC) - timedelta(hours=1)
ITEM = [Item("it-1", "sku", 1, 5.0, True)]


def shop(tmp_path: Path) -> str:
    """Inbox entries of every kind: applied, refused (with a guard), stale, not relevant, parked."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    known = OrderSketch("dr-1", "co-1", "UP-1", ITEM)
    two = OrderSketch("dr-2", "co-2", "UP-2", ITEM, charge_ids=("ch-1", "ch-2"))
    unknown = OrderSketch("dr-9", "co-9", "UP-9", ITEM)
    later = T0 + timedelta(minutes=1)
    events = [
        known.event("order.accepted", known.order("accepted", later, fraud_state="passed"), later)
        | {"id": "e-ok"},
        two.event(
            "order.accepted",
            two.order("accepted", later, charge_state={"ch-1": "capturable", "ch-2": "pending"}),
            later,
        )
        | {"id": "e-refused"},
        known.event("order.pending_payment", known.order("pending_payment", T0), T0)
        | {"id": "e-stale"},
        known.event("order.invoice.created", known.order("accepted", later), later)
        | {"id": "e-irrelevant"},
        unknown.event("order.accepted", unknown.order("accepted", later), later)
        | {"id": "e-parked"},
    ]
    with Engine.open(url, create_if_empty=True) as engine:
        engine.submit("UP-1", "co-1")
        engine.submit("UP-2", "co-2")
        for event in events:
            store_webhook(engine, event)
    return url


def test_json_lines_for_each_applied_signal_and_each_delivered_effect(tmp_path: Path) -> None:
    url = shop(tmp_path)
    done = run_orderfsm(
        "worker", "--db", url, "--once", "--log-format", "json", "--sink", f"jsonl:{tmp_path}/fx"
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    notices = [json.loads(line) for line in done.stderr.splitlines()]

    signals = {r["eventId"]: r for r in records if r["kind"] == "signal"}
    assert {k: (r["order"], r["trigger"], r["outcome"]) for k, r in signals.items()} == {
        "e-ok": ("UP-1", "accept", "applied"),
        "e-refused": ("UP-2", "accept", "refused"),
        "e-stale": ("UP-1", "await_payment", "stale"),
        "e-irrelevant": (None, None, "not_relevant"),
        "e-parked": (None, "accept", "parked"),
    }
    assert "charge" in signals["e-refused"]["reason"]
    assert signals["e-parked"]["reason"] == "order not known yet"
    assert all(r["eventType"].startswith("order.") for r in signals.values())
    effects = [r for r in records if r["kind"] == "effect"]
    assert effects and {r["order"] for r in effects} == {"UP-1"}
    assert all((r["status"], r["attempts"]) == ("done", 1) for r in effects)
    assert {r["effect"] for r in effects} >= {"send_order_confirmation", "request_shipment"}
    assert all(r["key"].startswith(f"UP-1:accepted:{r['effect']}") for r in effects)
    for r in records:
        assert r["time"].endswith("Z") and datetime.fromisoformat(r["time"]) <= datetime.now(UTC)
        assert r["message"]
    assert [n["kind"] for n in notices] == ["worker.notice"]


def counts(samples: Samples, name: str, *keys: str) -> dict[tuple[str, ...], float]:
    return {
        tuple(dict(labels)[k] for k in keys): v for (n, labels), v in samples.items() if n == name
    }


def test_the_metrics_port_counts_the_signals_and_effects_the_worker_handled(
    tmp_path: Path,
) -> None:
    url = shop(tmp_path)
    port = free_port()
    worker = subprocess.Popen(
        [
            ORDERFSM,
            "worker",
            "--db",
            url,
            "--interval",
            "0.2",
            "--metrics-port",
            str(port),
            "--sink",
            f"jsonl:{tmp_path}/fx",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    page: dict[str, Samples] = {}

    def scraped_all() -> bool:
        try:
            page["now"] = parse(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
        except httpx.TransportError:
            return False
        signals = counts(page["now"], "orderfsm_signals_total", "trigger", "outcome")
        attempts = counts(page["now"], "orderfsm_effect_attempts_total", "effect", "result")
        effects = outbox(url)
        return sum(signals.values()) == 5 and 0 < len(effects) == sum(attempts.values())

    try:
        wait_until(scraped_all, worker)
    finally:
        printed = stopped(worker, within_s=30)
    samples = page["now"]

    assert counts(samples, "orderfsm_signals_total", "trigger", "outcome") == {
        ("accept", "applied"): 1,
        ("accept", "refused"): 1,
        ("await_payment", "stale"): 1,
        ("none", "not_relevant"): 1,
        ("accept", "parked"): 1,
    }
    delivered = counts(samples, "orderfsm_effect_attempts_total", "effect", "result")
    effects = outbox(url)
    assert delivered == {(e.effect, "done"): 1 for e in effects.values()}
    assert {e.status for e in effects.values()} == {"done"}
    assert "orderfsm_orders" not in {name for name, _ in samples}  # the receiver's gauges
    assert "inbox: event e-ok" in printed


def test_json_lines_of_a_worker_waiting_for_its_database_name_no_password_or_key() -> None:
    password, key = "db-pass-do-not-print-8e2f", "sk_test_do_not_print_51aa"
    url = f"postgresql+psycopg://shop:{password}@127.0.0.1:{free_port()}/shop"
    worker = subprocess.Popen(
        [ORDERFSM, "worker", "--db", url, "--log-format", "json", "--dr-url", "http://127.0.0.1:9"],
        cwd=REPO,
        env={**os.environ, "ORDERFSM_DR_API_KEY": key},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(worker)
    try:
        wait_until(lambda: output.has('"worker.outage"'), worker)
    finally:
        printed = stopped(worker, within_s=30, output=output)
    records = [json.loads(line) for line in printed.splitlines()]

    outages = [r for r in records if r["kind"] == "worker.outage"]
    assert outages and all(r["level"] == "warning" and r["failures"] >= 1 for r in outages)
    assert password not in printed and key not in printed


def test_the_metrics_port_counts_the_dr_calls_of_periodic_reconcile_and_refresh(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    port = free_port()
    with (
        Engine.open(url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, _client),
    ):
        engine.submit("SHOP-LOST", "chk-never-sent")  # DR never saw it: refresh GETs it
        env = {**os.environ, "ORDERFSM_DR_API_URL": sandbox.url, "ORDERFSM_DR_API_KEY": sandbox.key}
        periodic = ["--reconcile-every", "1s", "--refresh-stuck", "--deadline", "submitted=1s"]
        worker = subprocess.Popen(
            [ORDERFSM, "worker", "--db", url, "--metrics-port", str(port), *periodic],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        page: dict[str, Samples] = {}

        def counted_both() -> bool:
            try:
                page["now"] = parse(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
            except httpx.TransportError:
                return False
            calls = counts(page["now"], "orderfsm_dr_api_calls_total", "method", "endpoint")
            return calls.get(("GET", "/events"), 0) >= 1 and calls.get(("GET", "/orders"), 0) >= 1

        try:
            wait_until(counted_both, worker)
            # Read after the scrape: DR can only have seen as many requests or more.
            seen = Counter((r["method"], r["path"]) for r in requests_seen(sandbox))
        finally:
            stopped(worker, within_s=30)

    calls = counts(page["now"], "orderfsm_dr_api_calls_total", "method", "endpoint", "status")
    assert set(calls) <= {("GET", "/events", "200"), ("GET", "/orders", "200")}, calls
    assert 1 <= calls[("GET", "/events", "200")] <= seen[("GET", "/events")]
    assert 1 <= calls[("GET", "/orders", "200")] <= seen[("GET", "/orders")]
