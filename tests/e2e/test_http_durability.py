"""On SQLite the receiver's commits are fsynced before 202; the worker's stay cheap."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from orderfsm import Engine
from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from orderfsm.adapters.http import ReceiverConfig, create_app
from orderfsm.adapters.http.server import serving
from orderfsm.persistence import inbox as store

SECRET = "whsec_durable"
EVENT = Path(__file__).parents[1] / "fixtures" / "dr" / "events" / "order.accepted__1.json"
FULL, NORMAL = 2, 1
"""``PRAGMA synchronous`` values."""


def _synchronous(engine: Engine) -> int:
    with engine.db.connect() as connection:
        value: int = connection.exec_driver_sql("PRAGMA synchronous").scalar_one()
        return value


def test_the_receivers_sqlite_connections_commit_with_synchronous_full(sqlite_url: str) -> None:
    body = EVENT.read_bytes()
    with Engine.open(sqlite_url, create_if_empty=True) as host:
        app = create_app(ReceiverConfig(host.db, secrets=(SECRET,)))
        with serving(app) as base_url:
            answer = httpx.post(
                f"{base_url}/webhooks/digitalriver",
                content=body,
                headers={SIGNATURE_HEADER: sign(body, SECRET, int(time.time()))},
                timeout=30,
            )

        assert answer.status_code == 202
        assert [entry.event_type for entry in store.entries(host.db)] == ["order.accepted"]
        # Every connection the receiver's engine hands out, pooled before or after.
        assert _synchronous(host) == FULL


def test_a_worker_engine_keeps_wal_with_synchronous_normal(sqlite_url: str) -> None:
    # What the worker commits can be redone from the durable inbox (see
    # orderfsm.adapters.http.durability); it is spared an fsync per unit of work.
    with Engine.open(sqlite_url, create_if_empty=True) as worker:
        assert _synchronous(worker) == NORMAL
