"""The sandbox's control API under ``/_sandbox/``: what tests and the demo drive.

- ``POST /_sandbox/checkouts`` ``{"scenario"?, "id"?, "upstreamId"?, "email"?,
  "items"?: [{"sku", "quantity"?, "amount"?, "physical"?}]}``: a new checkout;
- ``GET /_sandbox/orders[?checkoutId=]``: every order the sandbox holds;
- ``POST /_sandbox/orders/{id}/advance``: the scenario's next state (with ``auto_advance`` off);
- ``POST /_sandbox/faults`` ``{"spec": "lose=1,429=2@1"}``: faults from now on;
- ``GET /_sandbox/requests``: API requests with their arrival (sandbox monotonic clock);
- ``GET /_sandbox/webhooks``: deliveries, dropped event ids, whether the queue is idle;
- ``GET /_sandbox/fulfillments``: every fulfilment DR holds (the ``201`` bodies).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderfsm.errors import ConfigurationError
from orderfsm.samples.builders import Item
from orderfsm.sandbox.faults import FaultPlan, parse_faults
from orderfsm.sandbox.requests_log import RequestLog
from orderfsm.sandbox.scenarios import Scenario
from orderfsm.sandbox.state import SandboxState
from orderfsm.sandbox.webhooks import WebhookSender


def _refuse(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status)


def _items(raw: object) -> tuple[Item, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigurationError("items must be a list")
    items = []
    for line in raw:
        if not isinstance(line, dict) or not isinstance(line.get("sku"), str):
            raise ConfigurationError("each item needs a sku")
        quantity = line.get("quantity", 1)
        if not isinstance(quantity, int) or quantity < 1:
            raise ConfigurationError(f"item {line['sku']}: quantity must be a positive integer")
        physical = line.get("physical")
        items.append(
            Item(
                "",
                line["sku"],
                quantity,
                float(line.get("amount", 10.0)),
                physical if isinstance(physical, bool) else None,
            )
        )
    return tuple(items)


def _scenario(raw: object) -> Scenario | None:
    if raw is None:
        return None
    try:
        return Scenario(str(raw))
    except ValueError:
        names = ", ".join(s.value for s in Scenario)
        raise ConfigurationError(f"scenario must be one of {names}, not {raw!r}") from None


def control_routes(
    state: SandboxState, faults: FaultPlan, webhooks: WebhookSender, log: RequestLog
) -> list[Route]:
    """The ``/_sandbox/...`` routes bound to one sandbox's parts."""

    async def create_checkout(request: Request) -> Response:
        try:
            body: dict[str, Any] = await request.json() if await request.body() else {}
            if not isinstance(body, dict):
                raise ConfigurationError("the body must be a JSON object")
            scenario = _scenario(body.get("scenario"))
            checkout = state.create_checkout(
                scenario=scenario,
                checkout_id=body.get("id"),
                upstream_id=str(body.get("upstreamId") or ""),
                items=_items(body.get("items")),
                email=body.get("email"),
            )
        except KeyError as exc:
            return _refuse(f"checkout {exc.args[0]!r} exists already", 409)
        except (ConfigurationError, ValueError) as exc:  # ValueError: the body is not JSON
            return _refuse(str(exc))
        return JSONResponse(checkout.to_json(), 201)

    async def list_orders(request: Request) -> Response:
        checkout_id = request.query_params.get("checkoutId")
        found = state.find_orders(checkout_id=checkout_id)
        summary = [
            {"id": o["id"], "checkoutId": o["checkoutId"], "state": o["state"]} for o in found
        ]
        return JSONResponse({"data": summary})

    async def advance(request: Request) -> Response:
        order = state.advance(request.path_params["order_id"])
        if order is None:
            return _refuse("no such order", 404)
        return JSONResponse({"id": order.id, "state": order.state, "upcoming": order.upcoming})

    async def set_faults(request: Request) -> Response:
        try:
            body = await request.json()
            spec = body.get("spec", "") if isinstance(body, dict) else None
            if not isinstance(spec, str):
                raise ConfigurationError('the body must be {"spec": "..."}')
            faults.set(parse_faults(spec))
        except (ValueError, ConfigurationError) as exc:
            return _refuse(str(exc))
        return JSONResponse({"spec": spec})

    async def requests(_request: Request) -> Response:
        return JSONResponse({"data": log.entries()})

    async def deliveries(_request: Request) -> Response:
        return JSONResponse(
            {
                "deliveries": [d.to_json() for d in list(webhooks.deliveries)],
                "dropped": list(webhooks.dropped),
                "idle": webhooks.idle(),
                "events": len(state.events),
            }
        )

    async def fulfillments(_request: Request) -> Response:
        return JSONResponse({"data": state.all_fulfillments()})

    return [
        Route("/_sandbox/checkouts", create_checkout, methods=["POST"]),
        Route("/_sandbox/fulfillments", fulfillments, methods=["GET"]),
        Route("/_sandbox/orders", list_orders, methods=["GET"]),
        Route("/_sandbox/orders/{order_id}/advance", advance, methods=["POST"]),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        Route("/_sandbox/requests", requests, methods=["GET"]),
        Route("/_sandbox/webhooks", deliveries, methods=["GET"]),
    ]
