"""The webhook receiver: verify, store, answer 202. No lifecycle work in the request.

``POST <path>`` (``/webhooks/digitalriver`` by default) checks, in order:

1. size: more than ``max_body_bytes`` gets 413 (the stream is counted, not
   the ``Content-Length`` header alone);
2. signature: ``DigitalRiver-Signature`` against the configured secrets; 401
   ``{"error": "signature", "check": "<which check failed>"}``;
3. basic auth, when configured: 401 ``{"error": "authentication"}``;
4. payload: read with the DR adapter's parser, input limits and mapping,
   exactly as the worker will read it (so a 202 is an event the worker can
   apply or record as not relevant); 400 ``{"error": "payload", "detail":
   "json.path: reason"}`` otherwise, never 500;
5. store the raw body in the inbox, deduplicated by event id, and answer
   202 ``{"id": ..., "status": "stored" | "duplicate"}`` once the commit is
   durable (on SQLite too: see :mod:`.durability`). A database that
   cannot take the event gets 503, so DR delivers it again later.

The insert is synchronous SQLAlchemy, run in Starlette's threadpool so the
event loop keeps accepting deliveries while the database works. A worker
(``orderfsm worker``) applies the inbox later.

A body still arriving ``body_timeout`` seconds after its headers gets 408
and the connection is closed.

``GET /healthz`` answers 200 ``{"status": "ok"}``, or 503 ``{"status":
"unavailable"}`` when the database cannot be reached: up or down, nothing
more, to anyone. A caller with the receiver's basic credentials also gets the
database state and the inbox and outbox backlog; without basic auth
configured nobody does over HTTP (``orderfsm inbox`` and ``orderfsm
effects`` read them from the database). Nothing here logs a secret, a
signature or a body.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine as DbEngine
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from orderfsm.adapters.digitalriver.signature import SIGNATURE_HEADER
from orderfsm.adapters.http.config import HEALTH_PATH, BasicAuth, ReceiverConfig
from orderfsm.adapters.http.durability import make_commits_durable
from orderfsm.adapters.http.envelope import read_envelope, read_limited
from orderfsm.errors import BodyTooLarge, EnvelopeError, SignatureError
from orderfsm.persistence import open_engine
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.inbox import backlog, store_event

log = logging.getLogger(__name__)


class Receipt(StrEnum):
    """What the receiver did with a well-formed, authentic delivery."""

    STORED = "stored"
    DUPLICATE = "duplicate"


class Refusal(StrEnum):
    """The ``error`` of a refused delivery."""

    TOO_LARGE = "too_large"
    SIGNATURE = "signature"
    AUTHENTICATION = "authentication"
    PAYLOAD = "payload"
    STORAGE = "storage"
    TIMEOUT = "timeout"


class Health(StrEnum):
    """The ``status`` ``GET /healthz`` answers."""

    OK = "ok"
    UNAVAILABLE = "unavailable"


AUTHORIZATION = "authorization"


class _Database:
    """The app's database engine: the host's, or one opened on first use and closed at shutdown.

    Opened lazily because a Starlette app mounted inside a host's app gets no
    lifespan events of its own.
    """

    def __init__(self, database: str | DbEngine) -> None:
        self._given = database
        self._engine: DbEngine | None = None
        if not isinstance(database, str):
            make_commits_durable(database)
            self._engine = database
        self._lock = threading.Lock()

    def get(self) -> DbEngine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    assert isinstance(self._given, str)
                    engine = open_engine(self._given)
                    make_commits_durable(engine)
                    self._engine = engine
        return self._engine

    def close(self) -> None:
        if isinstance(self._given, str) and self._engine is not None:
            self._engine.dispose()
            self._engine = None


def create_app(config: ReceiverConfig) -> Starlette:
    """The receiver as an ASGI app: serve it alone or mount it in the host's app."""
    database = _Database(config.database_url_or_engine)
    signature = config.signature
    one_writer = threading.Lock()

    def store(**event: Any) -> bool:
        engine = database.get()
        if engine.dialect.name != "sqlite":
            return store_event(engine, **event)
        # SQLite admits one writer at a time. Threads of this process queue
        # here and are woken as soon as the writer before them commits;
        # left to SQLite's busy handler they would sleep 1 to 100 ms between
        # retries, which made p99 latency to 202 several times the median.
        with one_writer:
            return store_event(engine, **event)

    async def receive(request: Request) -> JSONResponse:
        try:
            # uvicorn bounds the wait for headers (see .protocol), not for the
            # body: a client trickling one byte a second would hold its
            # connection for ever without this deadline.
            async with asyncio.timeout(config.body_timeout):
                body = await read_limited(
                    request.stream(),
                    limit=config.max_body_bytes,
                    declared_length=request.headers.get("content-length"),
                )
        except BodyTooLarge:
            return _refuse(
                413, Refusal.TOO_LARGE, detail=f"body exceeds {config.max_body_bytes} bytes"
            )
        except TimeoutError:
            log.info("delivery refused: body not received within %ss", config.body_timeout)
            return _refuse(
                408,
                Refusal.TIMEOUT,
                detail=f"body not received within {config.body_timeout:g} s",
                headers={"Connection": "close"},
            )
        try:
            signature.verify(request.headers.get(SIGNATURE_HEADER), body, now=time.time())
        except SignatureError as exc:
            log.info("delivery refused: signature check failed: %s", exc.check)
            return _refuse(401, Refusal.SIGNATURE, check=exc.check)
        if config.basic_auth is not None and not _authorized(
            request.headers.get(AUTHORIZATION), config.basic_auth
        ):
            log.info("delivery refused: basic authentication failed")
            return _refuse(
                401,
                Refusal.AUTHENTICATION,
                detail="basic credentials missing or wrong",
                headers={"WWW-Authenticate": 'Basic realm="orderfsm"'},
            )
        try:
            envelope = read_envelope(body)
        except EnvelopeError as exc:
            log.info("delivery refused: %s", exc)
            return _refuse(400, Refusal.PAYLOAD, detail=str(exc))
        try:
            stored = await run_in_threadpool(
                store,
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                body=envelope.text,
                now=utcnow(),
            )
        except SQLAlchemyError as exc:
            log.error("event %s not stored: %s", envelope.event_id, type(exc).__name__)
            return _refuse(503, Refusal.STORAGE, detail="the event could not be stored; retry")
        receipt = Receipt.STORED if stored else Receipt.DUPLICATE
        return JSONResponse({"id": envelope.event_id, "status": receipt.value}, status_code=202)

    async def healthz(request: Request) -> JSONResponse:
        # Anyone may ask whether the receiver is up; only a caller with its
        # credentials learns the backlog (which tells how busy the shop is).
        detailed = config.basic_auth is not None and _authorized(
            request.headers.get(AUTHORIZATION), config.basic_auth
        )
        try:
            counts = await run_in_threadpool(_backlog if detailed else _ping, database.get())
        except SQLAlchemyError as exc:
            log.warning("health check: database unreachable (%s)", type(exc).__name__)
            down: dict[str, Any] = {"status": Health.UNAVAILABLE.value}
            if detailed:
                down["database"] = "unreachable"
            return JSONResponse(down, 503)
        up: dict[str, Any] = {"status": Health.OK.value}
        if detailed:
            up |= {"database": "reachable", **counts}
        return JSONResponse(up)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            database.close()

    return Starlette(
        routes=[
            Route(config.path, receive, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _ping(engine: DbEngine) -> dict[str, Any]:
    # The cheapest statement that proves the database answers: anonymous
    # callers must not make the receiver count rows.
    with engine.connect() as connection:
        connection.execute(select(1))
    return {}


def _backlog(engine: DbEngine) -> dict[str, Any]:
    with engine.connect() as connection:
        counts = backlog(connection)
    return {"inbox": counts.inbox, "outbox": counts.outbox}


def _refuse(
    status: int,
    error: Refusal,
    *,
    check: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    content: dict[str, str] = {"error": error.value}
    if check is not None:
        content["check"] = check
    if detail is not None:
        content["detail"] = detail
    return JSONResponse(content, status_code=status, headers=headers)


def _authorized(header: str | None, expected: BasicAuth) -> bool:
    """Constant-time check of an ``Authorization: Basic ...`` header."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    user_ok = hmac.compare_digest(user.encode(), expected.user.encode())
    password_ok = hmac.compare_digest(password.encode(), expected.password.encode())
    return bool(sep) and user_ok and password_ok
