"""``orderfsm serve`` outlives its database: 503 and nothing stored while it is away, then 202.

A private PostgreSQL server (never the shared one) is stopped before the
receiver starts, started under it, and crashed (``immediate``) while it runs.
SQLite is made unusable in two ways that hold against root too (tests run as
root in CI, where ``chmod`` stops nothing): the database's folder is a plain
file (a folder not mounted yet), and the folder is made immutable with
``chattr +i`` (``chmod 555`` when not root; skipped where the file system or
the container refuses ``chattr``).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from orderfsm import Engine
from orderfsm.adapters.http.config import ENV_BASIC_AUTH_PASSWORD, ENV_SECRETS
from orderfsm.persistence import inbox as store
from orderfsm.persistence import open_engine
from tests.e2e.http_receiver import Receiver, running_receiver, signed_headers
from tests.support.pg_cluster import PrivateCluster

SECRET = "whsec_outages"
PASSWORD = "outage-basic-pass"
EVENT = Path(__file__).parents[1] / "fixtures" / "dr" / "events" / "order.accepted__1.json"
ENV = {ENV_SECRETS: SECRET, ENV_BASIC_AUTH_PASSWORD: PASSWORD}
ARGS = ("--basic-auth-user", "dr")
RECOVERY_TIMEOUT_S = 60.0


def _basic() -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"dr:{PASSWORD}".encode()).decode()}


def _body(event_id: str) -> bytes:
    event = json.loads(EVENT.read_text())
    event["id"] = event_id
    return json.dumps(event).encode()


def _deliver(receiver: Receiver, event_id: str) -> httpx.Response:
    body = _body(event_id)
    headers = {**signed_headers(body, SECRET), **_basic()}
    return httpx.post(receiver.webhook_url, content=body, headers=headers, timeout=30)


def _health(receiver: Receiver, *, authenticated: bool) -> httpx.Response:
    headers = _basic() if authenticated else {}
    return httpx.get(f"{receiver.base_url}/healthz", headers=headers, timeout=30)


def _stored_ids(db_url: str) -> set[str]:
    engine = open_engine(db_url)
    try:
        return {entry.event_id for entry in store.entries(engine)}
    finally:
        engine.dispose()


def _until_accepted(receiver: Receiver, prefix: str) -> tuple[list[str], str]:
    """Deliver new events until one gets 202; the ids answered 503 before, and the 202'd one."""
    refused: list[str] = []
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    for attempt in range(10_000):
        event_id = f"{prefix}-{attempt}"
        answer = _deliver(receiver, event_id)
        if answer.status_code == 202:
            return refused, event_id
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"] == "storage"
        refused.append(event_id)
        assert time.monotonic() < deadline, f"no recovery:\n{receiver.printed()}"
        time.sleep(0.05)
    raise AssertionError("no recovery")


def _assert_down(receiver: Receiver, state: str = "unreachable") -> str:
    """503 with nothing about why for anonymous callers; the state and reason for ours."""
    anonymous = _health(receiver, authenticated=False)
    assert (anonymous.status_code, anonymous.json()) == (503, {"status": "unavailable"})
    detailed = _health(receiver, authenticated=True)
    assert detailed.status_code == 503
    assert detailed.json()["database"] == state
    reason: str = detailed.json()["reason"]
    assert reason and "\n" not in reason
    return reason


@pytest.mark.postgres
def test_serve_starts_while_postgresql_is_down_answers_503_and_stores_once_it_is_up(
    private_postgres: PrivateCluster,
) -> None:
    private_postgres.stop()
    with running_receiver(private_postgres.url, *ARGS, env=ENV) as receiver:
        refused = [_deliver(receiver, f"evt-down-{n}") for n in range(3)]
        reason = _assert_down(receiver)

        private_postgres.start()
        recovered = _deliver(receiver, "evt-up-1")
        again = _deliver(receiver, "evt-up-1")
        healthy = _health(receiver, authenticated=True)
        printed = receiver.printed()

    assert [answer.status_code for answer in refused] == [503, 503, 503]
    assert "refused" in reason.lower() or "connect" in reason.lower()
    assert (recovered.status_code, recovered.json()["status"]) == (202, "stored")
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    assert healthy.status_code == 200
    assert healthy.json()["database"] == "reachable"
    # Nothing of the outage was stored; the schema was created when the server came up.
    assert _stored_ids(private_postgres.url) == {"evt-up-1"}
    assert "warning: the database cannot take deliveries yet" in printed
    assert "database takes deliveries again" in printed


@pytest.mark.postgres
def test_a_postgresql_crash_while_serving_gives_503s_then_202s_without_a_restart(
    private_postgres: PrivateCluster,
) -> None:
    with running_receiver(private_postgres.url, *ARGS, env=ENV) as receiver:
        before = _deliver(receiver, "evt-before")
        private_postgres.stop(mode="immediate")
        during = [_deliver(receiver, f"evt-crashed-{n}") for n in range(3)]
        _assert_down(receiver)
        # Start without waiting: deliveries meet the server while it recovers.
        private_postgres.start(wait=False)
        refused, accepted = _until_accepted(receiver, "evt-recovering")
        server_pid = receiver.process.pid
        still_running = receiver.process.poll() is None

    assert before.status_code == 202
    assert [answer.status_code for answer in during] == [503, 503, 503]
    assert still_running and server_pid == receiver.process.pid
    stored = _stored_ids(private_postgres.url)
    assert stored == {"evt-before", accepted}
    assert not stored & ({f"evt-crashed-{n}" for n in range(3)} | set(refused))


def test_serve_starts_on_sqlite_whose_folder_is_missing_then_stores_once_it_exists(
    tmp_path: Path,
) -> None:
    # The folder's place is taken by a plain file: no user, root included, can create the database.
    folder = tmp_path / "not-mounted-yet"
    folder.write_text("a file where the database's folder should be\n")
    db_url = f"sqlite:///{folder / 'shop.db'}"
    with running_receiver(db_url, *ARGS, env=ENV) as receiver:
        refused = _deliver(receiver, "evt-missing")
        reason = _assert_down(receiver)

        folder.unlink()
        folder.mkdir()
        accepted = _deliver(receiver, "evt-mounted")
        printed = receiver.printed()

    assert refused.status_code == 503
    assert "unable to open database file" in reason
    assert accepted.status_code == 202
    assert _stored_ids(db_url) == {"evt-mounted"}
    assert "answering 503" in printed


@contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """``folder`` refuses new files, for root too (``chattr +i``), until the block ends."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i refused here ({made.stderr.strip()}): no read-only folder for root")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_sqlite_in_a_read_only_folder_gets_503_and_stores_once_it_is_writable(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    db_url = f"sqlite:///{folder / 'shop.db'}"
    Engine.open(db_url, create_if_empty=True).close()
    with ExitStack() as writable_again:
        writable_again.enter_context(read_only_folder(folder))
        with running_receiver(db_url, *ARGS, env=ENV) as receiver:
            refused = _deliver(receiver, "evt-read-only")
            reason = _assert_down(receiver)
            writable_again.close()  # the folder is writable again; the server runs on
            accepted = _deliver(receiver, "evt-writable")

    assert refused.status_code == 503
    assert "readonly" in reason or "unable to open" in reason
    assert accepted.status_code == 202
    assert _stored_ids(db_url) == {"evt-writable"}
