"""``GET /metrics`` for any Starlette app: the receiver's, the console's, a host's.

::

    from orderfsm.observability import Metrics
    from orderfsm.observability.asgi import metrics_route

    metrics = Metrics()
    metrics.watch_database("postgresql+psycopg://...")
    app = Starlette(routes=[..., metrics_route(metrics.registry, allow=is_operator)])

The page is prometheus-client's text format, built in Starlette's
threadpool: reading the database's gauges is synchronous SQL and must not
stall the event loop. ``allow`` decides who may read it (``None``: anyone
who reaches the route); others get 401 with ``WWW-Authenticate: Basic``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

METRICS_PATH = "/metrics"
"""Where the page is served unless told otherwise."""

Allow = Callable[[Request], bool]
"""Whether a request may read the metrics (e.g. it carries the operator's credentials)."""


def metrics_endpoint(
    registry: CollectorRegistry, *, allow: Allow | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint answering the registry's metrics to requests ``allow`` admits."""

    async def metrics(request: Request) -> Response:
        if allow is not None and not allow(request):
            return JSONResponse(
                {"error": "authentication", "detail": "credentials missing or wrong"},
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="orderfsm"'},
            )
        page = await run_in_threadpool(generate_latest, registry)
        return Response(page, media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics


def metrics_route(
    registry: CollectorRegistry, *, path: str = METRICS_PATH, allow: Allow | None = None
) -> Route:
    """``GET path`` serving :func:`metrics_endpoint`, to add to an app's routes."""
    return Route(path, metrics_endpoint(registry, allow=allow), methods=["GET"])
