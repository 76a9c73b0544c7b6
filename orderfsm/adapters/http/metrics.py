"""The receiver, observed: each answer counted, ``GET /metrics`` beside ``/healthz``.

:func:`observe` wraps an app from :func:`~orderfsm.adapters.http.app.create_app`
without touching its routes:

* :class:`AnswerCounter`, an ASGI middleware, reads the status and the small
  JSON answer of every ``POST`` to the webhook path (``{"id", "status"}`` or
  ``{"error"}``) and counts it in ``orderfsm_webhooks_received_total{code,
  answer}`` (the receiver's own log lines name each delivery);
* ``GET /metrics`` follows ``/healthz``'s rule: with basic auth configured,
  only callers with the receiver's credentials read it (Prometheus'
  ``basic_auth``); without, anyone who reaches the port does, which is why
  ``serve`` listens on 127.0.0.1 by default and the README's proxy forwards
  only the webhook path and ``/healthz``;
* the database's gauges (:class:`~orderfsm.observability.DatabaseCollector`)
  are read at scrape time from the receiver's database.

Answers uvicorn gives itself (431 for huge headers, 408 for slow headers)
never reach the app and are not counted.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The receiver's own constant-time check of its basic credentials: one rule for
# deliveries, /healthz's details and /metrics.
from orderfsm.adapters.http.app import AUTHORIZATION
from orderfsm.adapters.http.app import _authorized as authorized
from orderfsm.adapters.http.config import ReceiverConfig
from orderfsm.observability import Metrics
from orderfsm.observability.asgi import Allow, metrics_route

UNREADABLE = "unreadable"
"""The ``answer`` label of a response that was not the receiver's JSON (a crash: 500)."""
_ANSWER_PEEK_BYTES = 4096


def observe(app: Starlette, config: ReceiverConfig, metrics: Metrics) -> Starlette:
    """Count and log ``app``'s answers into ``metrics``, serve them at ``/metrics``; ``app``."""
    app.add_middleware(AnswerCounter, path=config.path, metrics=metrics)
    app.router.routes.append(metrics_route(metrics.registry, allow=operator_check(config)))
    metrics.watch_database(config.database_url_or_engine)
    return app


def operator_check(config: ReceiverConfig) -> Allow | None:
    """Who may read ``/metrics``: the basic credentials' holders, or anyone without them."""
    expected = config.basic_auth
    if expected is None:
        return None
    return lambda request: authorized(request.headers.get(AUTHORIZATION), expected)


class AnswerCounter:
    """Counts the answer to every delivery posted to ``path``."""

    def __init__(self, app: ASGIApp, *, path: str, metrics: Metrics) -> None:
        self.app, self.path, self.metrics = app, path, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _path(scope) != self.path:
            await self.app(scope, receive, send)
            return
        code, body = 500, bytearray()

        async def watch(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
            elif message["type"] == "http.response.body" and len(body) < _ANSWER_PEEK_BYTES:
                body.extend(message.get("body", b"")[:_ANSWER_PEEK_BYTES])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.metrics.webhook_answered(code, _answer(bytes(body)))


def _path(scope: Scope) -> str:
    """The path inside the app (a host may mount the receiver under a prefix)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _answer(body: bytes) -> str:
    """The ``status`` (202) or ``error`` (a refusal) the receiver answered."""
    try:
        answer: Any = json.loads(body)
    except ValueError:
        return UNREADABLE
    said = answer.get("status") or answer.get("error") if isinstance(answer, dict) else None
    return said if isinstance(said, str) else UNREADABLE
