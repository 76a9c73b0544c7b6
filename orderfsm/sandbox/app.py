"""The sandbox as an ASGI app: DR's endpoints, checked keys, injected faults, a control API.

DR's endpoints (Bearer key required, faults applied): ``POST /orders``,
``GET /orders``, ``GET /orders/{id}``, ``GET /events``, ``GET /events/{id}``,
``POST /fulfillments``. The control API under ``/_sandbox/`` (no key; for
tests and the demo) creates checkouts with a scenario, lists every order,
advances an order, sets faults and shows the requests (with the sandbox's own
clock) and webhook deliveries.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderfsm.sandbox.asgi_faults import DROP_HEADER, AnswerDropper
from orderfsm.sandbox.config import SandboxConfig
from orderfsm.sandbox.control import control_routes
from orderfsm.sandbox.faults import FaultPlan
from orderfsm.sandbox.listing import page_of, time_filter
from orderfsm.sandbox.requests_log import RequestLog
from orderfsm.sandbox.state import SandboxState
from orderfsm.sandbox.webhooks import WebhookSender

Handler = Callable[[Request, SandboxState], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def error(status: int, kind: str, code: str, message: str) -> JSONResponse:
    """A DR error answer."""
    return JSONResponse({"type": kind, "errors": [{"code": code, "message": message}]}, status)


def create_sandbox(config: SandboxConfig | None = None) -> AnswerDropper:
    """A fresh, empty sandbox; serve it with uvicorn or mount it (see :mod:`.server`)."""
    config = config or SandboxConfig()
    faults = FaultPlan(config.faults)
    webhooks = WebhookSender(config, faults)
    state = SandboxState(config, on_event=webhooks.enqueue)
    log = RequestLog()

    def api(handler: Handler, *, mutation: bool = False) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            arrived = time.monotonic()
            response = await _guarded(request, handler, mutation)
            log.add(request.method, request.url.path, response.status_code, arrived)
            return response

        return endpoint

    async def _guarded(request: Request, handler: Handler, mutation: bool) -> Response:
        if faults.in_outage():
            return error(503, "service_unavailable", "outage", "Digital River is unavailable.")
        if faults.take("rate_limited"):
            response = error(429, "too_many_requests", "rate_limited", "Too many requests.")
            response.headers["Retry-After"] = str(faults.retry_after_s)
            return response
        if faults.take("server_errors"):
            return error(500, "internal_server_error", "server_error", "Something went wrong.")
        authorization = request.headers.get("authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in config.secret_keys:
            return error(401, "unauthorized", "unauthorized", "Invalid or missing secret key.")
        answer = await handler(request, state)
        if mutation and answer.status_code < 500 and faults.take("lose_answers"):
            answer.headers[DROP_HEADER] = "1"
        return answer

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        webhooks.start()
        try:
            yield
        finally:
            webhooks.stop()

    routes = [
        Route("/orders", api(_create_order, mutation=True), methods=["POST"]),
        Route("/orders", api(_list_orders), methods=["GET"]),
        Route("/orders/{order_id}", api(_get_order), methods=["GET"]),
        Route("/events", api(_list_events), methods=["GET"]),
        Route("/events/{event_id}", api(_get_event), methods=["GET"]),
        Route("/fulfillments", api(_create_fulfillment, mutation=True), methods=["POST"]),
        *control_routes(state, faults, webhooks, log),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = state
    app.state.faults = faults
    app.state.webhooks = webhooks
    app.state.requests = log
    return AnswerDropper(app)


async def _json_body(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return error(400, "bad_request", "invalid_request", "The body is not JSON.")
    if not isinstance(body, dict):
        return error(400, "bad_request", "invalid_request", "The body is not a JSON object.")
    return body


async def _create_order(request: Request, state: SandboxState) -> Response:
    body = await _json_body(request)
    if isinstance(body, Response):
        return body
    checkout_id = body.get("checkoutId")
    if not isinstance(checkout_id, str) or not checkout_id:
        return error(400, "bad_request", "missing_parameter", "checkoutId is required.")
    status, answer = state.create_order(checkout_id)
    return JSONResponse(answer, status)


def _many(request: Request, name: str) -> list[str]:
    # DR's array filters come comma-separated or repeated; both are read.
    return [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v]


async def _list_orders(request: Request, state: SandboxState) -> Response:
    q = request.query_params
    found = state.find_orders(
        checkout_id=q.get("checkoutId"),
        upstream_ids=_many(request, "upstreamIds"),
        ids=_many(request, "ids"),
        state=q.get("state"),
    )
    return page_of(found, q)


async def _get_order(request: Request, state: SandboxState) -> Response:
    order_id = request.path_params["order_id"]
    body = state.order_body(order_id)
    if body is None:
        return error(404, "not_found", "not_found", f"Order {order_id} not found")
    return JSONResponse(body)


async def _list_events(request: Request, state: SandboxState) -> Response:
    q = request.query_params
    types = _many(request, "types") + _many(request, "type")
    keep = time_filter(q)
    if isinstance(keep, Response):
        return keep
    found = [e for e in state.find_events(types=types) if keep(e["createdTime"])]
    return page_of(found, q)


async def _get_event(request: Request, state: SandboxState) -> Response:
    event_id = request.path_params["event_id"]
    found = state.event(event_id)
    if found is None:
        return error(404, "not_found", "not_found", f"Event {event_id} not found")
    return JSONResponse(found)


async def _create_fulfillment(request: Request, state: SandboxState) -> Response:
    body = await _json_body(request)
    if isinstance(body, Response):
        return body
    answer = state.create_fulfillment(body)
    return JSONResponse(answer.body, answer.status)
