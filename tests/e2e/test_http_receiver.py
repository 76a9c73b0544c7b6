"""The receiver end to end: ``orderfsm serve`` in a subprocess, real HTTP, then the worker.

Every delivery goes over a socket to uvicorn; what the receiver did is read
back from the database it shares with the test.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from orderfsm import Engine
from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign, signal_from_body
from orderfsm.fsm.signals import Signal
from orderfsm.persistence import InboxStatus
from orderfsm.persistence import inbox as store
from orderfsm.persistence.tables import ParkedSignalRow
from orderfsm.samples.builders import Item, OrderSketch
from tests.e2e.http_receiver import Receiver, running_receiver, signed_headers
from tests.support.cli import ORDERFSM

SECRET = "whsec_e2e_receiver"
EVENTS = Path(__file__).parents[1] / "fixtures" / "dr" / "events"

# What each real DR event does to its order when that order was submitted first
# (by the checkout id the event carries) and the events arrive in file-name order.
EXPECTED_STATE = {
    "order.accepted__1.json": "accepted",
    "order.cancelled__1.json": "cancelled",
    "order.complete__1.json": "complete",
    "order.fulfilled__1.json": "fulfilled",
    "order.pending_payment__1.json": "pending_payment",
    "order.review_opened__1.json": "in_review",
    # No record_fulfillment edge from submitted: refused, the order stays put.
    "fulfillment.created__1.json": "submitted",
    # Same order: the resolution (DR time later) arrives first and moves it to
    # accepted; the older dispute event is then stale. Not disputed at the end.
    "order.dispute.resolved__1.json": "accepted",
    "order.dispute__1.json": "accepted",
}
# Charge events name only the DR order id, which no submitted order has yet: they wait.
EXPECTED_PARKED = {
    "order.charge.cancel.complete__1.json",
    "order.charge.cancel.complete__2.json",
    "order.charge.capture.complete__1.json",
    "order.charge.capture.failed__1.json",
    "order.charge.refund.complete__1.json",
}


def order_ids(body: bytes) -> tuple[str, str]:
    """The DR order id and checkout id an event names (read by the DR adapter)."""
    signal = signal_from_body(body)
    assert isinstance(signal, Signal) and signal.dr_order_id and signal.checkout_id
    return signal.dr_order_id, signal.checkout_id


def fixture_files() -> list[Path]:
    return sorted(p for p in EVENTS.glob("*.json") if p.name != "index.json")


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('receiver') / 'shop.db'}"
    Engine.open(url, create_if_empty=True).close()
    return url


@pytest.fixture(scope="module")
def receiver(db_url: str) -> Iterator[Receiver]:
    with running_receiver(
        db_url, "--max-body-bytes", "65536", env={"ORDERFSM_WEBHOOK_SECRETS": SECRET}
    ) as r:
        yield r


def post(receiver: Receiver, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(receiver.webhook_url, content=body, headers=headers or {}, timeout=30)


def run_worker(db_url: str) -> list[dict[str, Any]]:
    """``orderfsm worker --once``: apply the inbox, then deliver effects; the effects delivered."""
    with tempfile.TemporaryDirectory() as scratch:
        sink = Path(scratch) / "effects.jsonl"
        done = subprocess.run(
            [ORDERFSM, "worker", "--once", "--db", db_url, "--sink", f"jsonl:{sink}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        text = sink.read_text() if sink.exists() else ""
    return [json.loads(line) for line in text.splitlines()]


def stored(db_url: str, event_id: str) -> store.InboxEntry | None:
    with Engine.open(db_url) as engine:
        return store.find_entry(engine.db, event_id)


def test_every_real_dr_event_signed_correctly_is_accepted_and_the_worker_settles_each_order(
    receiver: Receiver, db_url: str
) -> None:
    files = fixture_files()
    bodies = {f.name: f.read_bytes() for f in files}
    events = {name: json.loads(body) for name, body in bodies.items()}
    orders = {name: order_ids(bodies[name]) for name in EXPECTED_STATE}
    with Engine.open(db_url) as engine:
        for dr_order_id, checkout_id in orders.values():
            engine.submit(f"UP-{dr_order_id}", checkout_id)

    answers = {
        name: post(receiver, body, signed_headers(body, SECRET)) for name, body in bodies.items()
    }

    assert {name: a.status_code for name, a in answers.items()} == {name: 202 for name in bodies}
    receipts = {name: a.json() for name, a in answers.items()}
    assert all(r["id"] == events[name]["id"] for name, r in receipts.items())
    # DR's documentation reuses one event id for two refund examples: the second is a duplicate.
    assert receipts["refund.complete__2.json"]["status"] == "duplicate"
    assert {r["status"] for n, r in receipts.items() if n != "refund.complete__2.json"} == {
        "stored"
    }

    run_worker(db_url)

    with Engine.open(db_url) as engine:
        for name, state in EXPECTED_STATE.items():
            view = engine.show(f"UP-{orders[name][0]}")
            assert (name, view.state, view.disputed) == (name, state, False)
        with engine.db.connect() as connection:
            parked = set(connection.execute(select(ParkedSignalRow.__table__.c.event_id)).scalars())
        statuses = {name: store.find_entry(engine.db, events[name]["id"]) for name in bodies}
    assert parked == {events[name]["id"] for name in EXPECTED_PARKED}
    assert {name: e.status if e else None for name, e in statuses.items()} == {
        name: InboxStatus.APPLIED for name in bodies
    }


def missing(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {}


def unreadable(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {SIGNATURE_HEADER: "yesterday"}


def other_secret(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, "whsec_someone_else")


def tampered(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body.replace(b'"accepted"', b'"cancelled"', 1), signed_headers(body, SECRET)


def an_hour_old(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {SIGNATURE_HEADER: sign(body, SECRET, int(time.time()) - 3600)}


@pytest.mark.parametrize(
    ("delivery", "check"),
    [
        (missing, "missing header"),
        (unreadable, "malformed header"),
        (other_secret, "no matching signature"),
        (tampered, "no matching signature"),
        (an_hour_old, "timestamp outside tolerance"),
    ],
)
def test_a_bad_or_missing_signature_gets_401_naming_the_check_and_stores_nothing(
    receiver: Receiver,
    db_url: str,
    delivery: Callable[[bytes], tuple[bytes, dict[str, str]]],
    check: str,
) -> None:
    event = json.loads((EVENTS / "order.accepted__1.json").read_bytes())
    event["id"] = f"e2e-{delivery.__name__}"
    body, headers = delivery(json.dumps(event).encode())

    answer = post(receiver, body, headers)

    assert answer.status_code == 401
    assert answer.json() == {"error": "signature", "check": check}
    assert SECRET not in answer.text
    assert stored(db_url, event["id"]) is None


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"id": "e2e-truncated", "type": "order.accepted"', "$: not valid JSON"),
        (b"[1, 2]", "$: expected a JSON object, not an array"),
        (b'{"type": "order.accepted", "data": {}}', "id: Field required"),
        (b'{"id": 17, "type": "order.accepted"}', "id: Input should be a valid string"),
        (b'{"id": "e2e-no-type", "data": {}}', "type: Field required"),
        (b'{"id": "e2e-latin1", "type": "order.accepted", "x": "caf\xe9"}', "body is not UTF-8"),
    ],
)
def test_a_malformed_body_gets_400_with_a_description_and_stores_nothing(
    receiver: Receiver, db_url: str, body: bytes, detail: str
) -> None:
    with Engine.open(db_url) as engine, engine.db.connect() as connection:
        before = store.backlog(connection).inbox

    answer = post(receiver, body, signed_headers(body, SECRET))

    assert answer.status_code == 400
    assert answer.json()["error"] == "payload"
    assert answer.json()["detail"].startswith(detail)
    with Engine.open(db_url) as engine, engine.db.connect() as connection:
        assert store.backlog(connection).inbox == before


def test_an_oversized_body_gets_413_whether_or_not_it_declares_its_length(
    receiver: Receiver, db_url: str
) -> None:
    event = {"id": "e2e-oversized", "type": "order.accepted", "pad": "x" * 70_000}
    body = json.dumps(event).encode()

    declared = post(receiver, body, signed_headers(body, SECRET))

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    streamed = httpx.post(
        receiver.webhook_url, content=chunks(), headers=signed_headers(body, SECRET), timeout=30
    )

    assert "content-length" not in streamed.request.headers
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert declared.json() == {"error": "too_large", "detail": "body exceeds 65536 bytes"}
    assert stored(db_url, "e2e-oversized") is None


def test_the_202_comes_before_any_lifecycle_work_which_waits_for_the_worker(
    receiver: Receiver, db_url: str
) -> None:
    sketch = OrderSketch("e2e-dr-1", "e2e-co-1", "E2E-1", [Item("it-1", "sku-1", 1, 5.0, True)])
    with Engine.open(db_url) as engine:
        engine.submit("E2E-1", "e2e-co-1")
    moment = datetime.now(UTC)
    event = sketch.event("order.accepted", sketch.order("accepted", moment), moment)
    body = json.dumps(event).encode()

    answer = post(receiver, body, signed_headers(body, SECRET))

    assert (answer.status_code, answer.json()) == (202, {"id": event["id"], "status": "stored"})
    entry = stored(db_url, event["id"])
    assert entry is not None and entry.status is InboxStatus.RECEIVED
    with Engine.open(db_url) as engine:
        assert engine.show("E2E-1").state == "submitted"
    run_worker(db_url)
    with Engine.open(db_url) as engine:
        assert engine.show("E2E-1").state == "accepted"


def test_health_tells_an_anonymous_caller_only_that_the_receiver_is_up(
    receiver: Receiver,
) -> None:
    answer = httpx.get(f"{receiver.base_url}/healthz", timeout=30)

    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


async def _deliver_concurrently(url: str, body: bytes, times: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=60) as client:
        return await asyncio.gather(
            *(
                client.post(url, content=body, headers=signed_headers(body, SECRET))
                for _ in range(times)
            )
        )


def _twenty_deliveries_become_one_application(receiver: Receiver, db_url: str, n: int) -> None:
    sketch = OrderSketch(
        f"e2e-dr-{n}", f"e2e-co-{n}", f"E2E-{n}", [Item("it-1", "sku-1", 1, 5.0, True)]
    )
    with Engine.open(db_url) as engine:
        engine.submit(f"E2E-{n}", f"e2e-co-{n}")
    moment = datetime.now(UTC)
    event = sketch.event("order.accepted", sketch.order("accepted", moment), moment)
    body = json.dumps(event).encode()

    answers = asyncio.run(_deliver_concurrently(receiver.webhook_url, body, 20))

    assert [a.status_code for a in answers] == [202] * 20
    assert sorted(a.json()["status"] for a in answers) == ["duplicate"] * 19 + ["stored"]
    with Engine.open(db_url) as engine:
        assert len(store.entries(engine.db)) == 1
    first, second = run_worker(db_url), run_worker(db_url)
    with Engine.open(db_url) as engine:
        view = engine.show(f"E2E-{n}")
    assert sorted(e["name"] for e in first) == ["request_shipment", "send_order_confirmation"]
    assert second == []
    applied = [h for h in view.history if h.event_id == event["id"] and h.outcome == "applied"]
    assert (view.state, len(applied)) == ("accepted", 1)
    assert sorted(e.type for e in view.effects) == ["request_shipment", "send_order_confirmation"]


def test_the_same_event_delivered_20_times_concurrently_is_stored_once_and_applied_once_on_sqlite(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with running_receiver(url, env={"ORDERFSM_WEBHOOK_SECRETS": SECRET}) as receiver:
        _twenty_deliveries_become_one_application(receiver, url, 20)


def test_the_same_event_delivered_20_times_concurrently_is_stored_once_and_applied_once_on_postgres(
    pg_schema_url: str,
) -> None:
    with running_receiver(pg_schema_url, env={"ORDERFSM_WEBHOOK_SECRETS": SECRET}) as receiver:
        _twenty_deliveries_become_one_application(receiver, pg_schema_url, 21)
