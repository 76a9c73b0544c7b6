"""The webhook receiver: an ASGI app (Starlette) that stores DR's events and answers 202.

Serve it alone (``orderfsm serve``) or mount it in the host's own ASGI app::

    from orderfsm.adapters.http import ReceiverConfig, create_app

    receiver = create_app(ReceiverConfig("postgresql://...", secrets=("whsec...",)))

:func:`app_from_env` is the factory uvicorn calls in each worker process when
``orderfsm serve --workers N`` (N > 1) runs: it reads the environment variables
the command itself wrote (see :mod:`orderfsm.adapters.http.config`).

Starlette and uvicorn come with the ``server`` extra (``pip install
'orderfsm[server]'``; FastAPI brings Starlette). The configuration
(:class:`ReceiverConfig`) imports without them; the app and the server are
loaded on first use, and their absence is a one-line
:class:`~orderfsm.errors.MissingExtra`.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

from orderfsm.adapters.http.config import (
    DEFAULT_MAX_BODY_BYTES,
    HEALTH_PATH,
    WEBHOOK_PATH,
    BasicAuth,
    ReceiverConfig,
)
from orderfsm.extras import RECEIVER, require

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from orderfsm.adapters.http.app import Receipt, Refusal, create_app

__all__ = [
    "APP_FACTORY",
    "DEFAULT_MAX_BODY_BYTES",
    "HEALTH_PATH",
    "WEBHOOK_PATH",
    "BasicAuth",
    "Receipt",
    "ReceiverConfig",
    "Refusal",
    "app_from_env",
    "create_app",
]

APP_FACTORY = f"{__name__}:app_from_env"
"""The import string uvicorn is given for several worker processes."""

_FROM_APP = frozenset({"Receipt", "Refusal", "create_app"})


def app_from_env() -> Starlette:
    """The receiver configured from the variables ``orderfsm serve`` set for its workers.

    Observed like ``serve``'s single process (:mod:`.metrics`): each worker
    process counts its own answers; and, like it, the heap of its startup is
    left out of garbage collection (:mod:`orderfsm.heap`).
    """
    from orderfsm.adapters.http.app import create_app
    from orderfsm.adapters.http.metrics import observe
    from orderfsm.heap import freeze_startup_heap
    from orderfsm.observability import Metrics

    config = ReceiverConfig.from_env(os.environ)
    app = observe(create_app(config), config, Metrics())
    freeze_startup_heap()
    return app


def __getattr__(name: str) -> Any:
    if name not in _FROM_APP:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require(RECEIVER, f"{__name__}.{name}")
    return getattr(import_module("orderfsm.adapters.http.app"), name)
