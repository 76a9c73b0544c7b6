"""Serving the receiver from a background thread: for the demo and for hosts' own tests.

``orderfsm serve`` is the way to run the receiver in production; this is the
way to run it *inside* another program for a while and stop it cleanly::

    with serving(create_app(config)) as base_url:
        httpx.post(f"{base_url}/webhooks/digitalriver", ...)

The socket is bound before the thread starts (port 0 lets the OS choose), so
the URL is known at once and no other program can take the port meanwhile.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from orderfsm.adapters.http.config import DEFAULT_HEADER_TIMEOUT_S
from orderfsm.adapters.http.protocol import ServerConfig
from orderfsm.errors import ServerStartError

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


@contextmanager
def serving(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    header_timeout: float = DEFAULT_HEADER_TIMEOUT_S,
) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yield its base URL; stop it when the block ends.

    The server bounds request headers as ``orderfsm serve`` does (see :mod:`.protocol`).
    """
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY on accepted
    # connections only then; without it every answer waits ~40 ms (Nagle).
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    bound_port = listener.getsockname()[1]
    config = ServerConfig(app, header_timeout=header_timeout, log_level=log_level, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="orderfsm-receiver", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ServerStartError(f"the receiver did not start on {host}:{bound_port}")
            time.sleep(0.01)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)
        listener.close()
