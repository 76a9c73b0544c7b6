"""The receiver's baseline: a bare Starlette endpoint doing one insert per request.

Served by uvicorn with ``orderfsm serve``'s settings (httptools, uvloop, the
same keep-alive, logging at warning), it reads the body and inserts it, one
row and one commit per request, from Starlette's thread pool: no signature,
no parsing, no deduplication. On SQLite the connection is set up as the
receiver's (WAL, ``synchronous=FULL``: the commit is durable before the
answer) and writers queue on one lock, as the receiver did before group
commit (docs/performance.md §6); on PostgreSQL each thread has its own
psycopg connection in autocommit. ``bench.receiver_load --baseline`` runs it
beside ``orderfsm serve`` and reports the ratios.

    python -m bench.receiver_baseline --db sqlite:///tmp/base.db --port 8123
"""

from __future__ import annotations

import argparse
import sqlite3
import threading
import uuid
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PATH = "/webhooks/digitalriver"
TABLE = "bench_baseline_inbox"


def _sqlite_store(path: str) -> Any:
    local = threading.local()
    one_writer = threading.Lock()
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (event_id TEXT PRIMARY KEY, body TEXT)")

    def store(body: str) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA busy_timeout=30000")
            local.connection = connection
        with one_writer:
            connection.execute(f"INSERT INTO {TABLE} VALUES (?, ?)", (str(uuid.uuid4()), body))

    return store


def _postgres_store(url: str) -> Any:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    local = threading.local()
    with psycopg.connect(conninfo, autocommit=True) as setup:
        setup.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (event_id TEXT PRIMARY KEY, body TEXT)")
        setup.execute(f"TRUNCATE {TABLE}")

    def store(body: str) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = psycopg.connect(conninfo, autocommit=True)
            local.connection = connection
        connection.execute(
            f"INSERT INTO {TABLE} VALUES (%s, %s)",
            (str(uuid.uuid4()), body),
        )

    return store


def baseline_app(db_url: str) -> Starlette:
    """The bare endpoint on ``db_url`` (``sqlite:///FILE`` or a PostgreSQL URL)."""
    if db_url.startswith("sqlite:///"):
        store = _sqlite_store(db_url.removeprefix("sqlite:///"))
    else:
        store = _postgres_store(db_url)

    async def receive(request: Request) -> JSONResponse:
        body = (await request.body()).decode()
        await run_in_threadpool(store, body)
        return JSONResponse({"status": "stored"}, status_code=202)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route(PATH, receive, methods=["POST"]), Route("/healthz", healthz)])


def main(argv: list[str] | None = None) -> int:
    """Serve the baseline until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        baseline_app(args.db),
        host="127.0.0.1",
        port=args.port,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        timeout_keep_alive=5,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
