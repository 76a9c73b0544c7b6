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
   cannot take the event (down, still starting, schema out of date; see
   :mod:`.database`) gets 503 with nothing stored, so DR delivers it again
   later.

Deliveries are stored by one writer thread, many to a transaction, each
answered after its own group's commit (:mod:`.group_commit`), so the event
loop keeps accepting deliveries while the database works. A worker
(``orderfsm worker``) applies the inbox later. Each delivery is logged with
its event id, type and order (the shop's ref when the event names it).

A body still arriving ``body_timeout`` seconds after its headers gets 408
and the connection is closed.

``GET /healthz`` answers 200 ``{"status": "ok"}``, or 503 ``{"status":
"unavailable"}`` when the database cannot take deliveries: up or down, nothing
more, to anyone. A caller with the receiver's basic credentials also gets the
database state (``reachable``, ``unreachable`` or ``schema_out_of_date``) with
the reason in one line, or the inbox and outbox backlog; without basic auth
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
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from orderfsm.adapters.digitalriver.signature import SIGNATURE_HEADER
from orderfsm.adapters.http.config import HEALTH_PATH, BasicAuth, ReceiverConfig
from orderfsm.adapters.http.database import NOT_READY, DatabaseState, ReceiverDatabase
from orderfsm.adapters.http.envelope import Envelope, read_envelope, read_limited
from orderfsm.adapters.http.group_commit import GroupCommitter
from orderfsm.errors import BodyTooLarge, EnvelopeError, SignatureError
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.inbox import Delivery, backlog

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


def create_app(config: ReceiverConfig) -> Starlette:
    """The receiver as an ASGI app: serve it alone or mount it in the host's app."""
    database = ReceiverDatabase(
        config.database_url_or_engine, create_if_empty=config.create_if_empty
    )
    committer = GroupCommitter(
        database.store_group, writers=database.writers, alone_may_pass=database.alone_may_pass
    )
    signature = config.signature

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
        delivery = Delivery(envelope.event_id, envelope.event_type, envelope.text, utcnow())
        try:
            stored = await committer.store(delivery)
        except NOT_READY as exc:
            problem = database.problem(exc)
            database.note(problem)
            log.warning(
                "%s: not stored (database %s); answered 503", _named(envelope), problem.state
            )
            return _refuse(503, Refusal.STORAGE, detail="the event could not be stored; retry")
        database.note(None)
        receipt = Receipt.STORED if stored else Receipt.DUPLICATE
        if log.isEnabledFor(logging.INFO):
            log.info("%s: %s", _named(envelope), receipt.value)
        return JSONResponse({"id": envelope.event_id, "status": receipt.value}, status_code=202)

    async def healthz(request: Request) -> JSONResponse:
        # Anyone may ask whether the receiver is up; only a caller with its
        # credentials learns the backlog (which tells how busy the shop is).
        detailed = config.basic_auth is not None and _authorized(
            request.headers.get(AUTHORIZATION), config.basic_auth
        )
        try:
            counts = await run_in_threadpool(_backlog if detailed else _ping, database)
        except NOT_READY as exc:
            problem = database.problem(exc)
            database.note(problem)
            down: dict[str, Any] = {"status": Health.UNAVAILABLE.value}
            if detailed:
                down |= {"database": problem.state.value, "reason": problem.reason}
            return JSONResponse(down, 503)
        database.note(None)
        up: dict[str, Any] = {"status": Health.OK.value}
        if detailed:
            up |= {"database": DatabaseState.REACHABLE.value, **counts}
        return JSONResponse(up)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            committer.close()
            database.close()

    routes = [
        Route(config.path, receive, methods=["POST"]),
        Route(HEALTH_PATH, healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _named(envelope: Envelope) -> str:
    """How a log line names a delivery: event id, type and order (data made printable)."""
    order = _printable(envelope.order_ref) if envelope.order_ref is not None else "unknown"
    return (
        f"event {_printable(envelope.event_id)} ({_printable(envelope.event_type)}, order {order})"
    )


def _printable(text: str) -> str:
    # Ids come from the body: a line break or escape sequence must not forge a log line.
    return text if text.isprintable() and " " not in text else repr(text)


def _ping(database: ReceiverDatabase) -> dict[str, Any]:
    # The cheapest statement that proves the database answers: anonymous
    # callers must not make the receiver count rows.
    with database.ready().connect() as connection:
        connection.execute(select(1))
    return {}


def _backlog(database: ReceiverDatabase) -> dict[str, Any]:
    with database.ready().connect() as connection:
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
