"""Serving a sandbox with uvicorn: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from orderfsm.errors import ServerStartError
from orderfsm.sandbox.app import create_sandbox
from orderfsm.sandbox.asgi_faults import AnswerDropper
from orderfsm.sandbox.config import SandboxConfig
from orderfsm.sandbox.state import SandboxState

_START_TIMEOUT_S = 30.0
_UVICORN_ON_A_DROPPED_ANSWER = "ASGI callable returned without completing response."


class _QuietAboutDroppedAnswers(logging.Filter):
    """Uvicorn calls a dropped answer an app error; here it is the fault asked for."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _UVICORN_ON_A_DROPPED_ANSWER


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    """A sandbox being served: its URL, the key it accepts, and its app (for its state)."""

    url: str
    key: str
    app: AnswerDropper

    @property
    def state(self) -> SandboxState:
        """The sandbox's memory, for in-process checks."""
        state: SandboxState = self.app.state.sandbox
        return state


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: the OS picks a free one)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def _server(app: AnswerDropper, log_level: str) -> uvicorn.Server:
    logging.getLogger("uvicorn.error").addFilter(_QuietAboutDroppedAnswers())
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False))


@contextmanager
def sandbox_in_thread(
    config: SandboxConfig | None = None, *, host: str = "127.0.0.1"
) -> Iterator[RunningSandbox]:
    """Serve a fresh sandbox on a free port in a daemon thread until the block ends."""
    config = config or SandboxConfig()
    app = create_sandbox(config)
    sock = bind(host, 0)
    server = _server(app, "critical")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sandbox", daemon=True
    )
    thread.start()
    try:
        for _ in range(int(_START_TIMEOUT_S / 0.01)):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not server.started:
            raise ServerStartError("the sandbox did not start serving in time")
        port = sock.getsockname()[1]
        yield RunningSandbox(f"http://{host}:{port}", config.secret_keys[0], app)
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT_S)
        sock.close()


def serve_forever(app: AnswerDropper, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve ``app`` on ``sock`` in this thread until SIGINT/SIGTERM."""
    _server(app, log_level).run(sockets=[sock])
