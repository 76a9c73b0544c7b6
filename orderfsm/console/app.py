"""The console's ASGI app: pages, actions, and room for the host's (or metrics') routes.

``console_app(config)`` is a Starlette app a host mounts where it likes
(``app.mount("/ops", console_app(...))``); every link is built with
``url_for``, so the prefix is respected. ``extra_routes`` are served by the
same app behind the same gate (a ``/metrics`` route, say).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from orderfsm.console import views
from orderfsm.console.config import ConsoleConfig, DatabaseHolder
from orderfsm.console.site import Gate, Site


def console_app(config: ConsoleConfig, *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The operator console of ``config.database``, with ``extra_routes`` behind its gate."""
    holder = DatabaseHolder(config)
    site = Site(holder, config.credentials)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Run by uvicorn when the console is the app; a host that mounts it
        # closes its own engine (a URL-opened one is closed here).
        yield
        holder.close()

    routes: list[BaseRoute] = [
        Route("/", views.orders, name="orders"),
        Route("/orders/{ref:path}", views.order, name="order"),
        Route("/lifecycle", views.lifecycle, name="lifecycle"),
        Route("/inbox", views.inbox, name="inbox"),
        Route("/effects", views.effects, name="effects"),
        Route("/effects/retry", views.retry_effect_action, methods=["POST"], name="retry_effect"),
        Route("/inbox/retry", views.retry_inbox_action, methods=["POST"], name="retry_inbox"),
        Route("/console.css", views.stylesheet, name="stylesheet"),
        *extra_routes,
    ]
    return Starlette(routes=routes, middleware=[Middleware(Gate, site=site)], lifespan=lifespan)
