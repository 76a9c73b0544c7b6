"""A real receiver for end-to-end tests: ``orderfsm serve`` in a subprocess on a free port.

The server is started with ``--port 0``; the port the OS chose is read from
uvicorn's "Uvicorn running on ..." line, so two test runs never race for a
port. Everything the process prints is kept, so tests can check what was (not)
logged.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import httpx

from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from tests.support.cli import ORDERFSM

RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


@dataclass
class Receiver:
    """A running ``orderfsm serve`` and everything it has printed so far."""

    process: subprocess.Popen[str]
    base_url: str = ""
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/webhooks/digitalriver"

    def printed(self) -> str:
        return "".join(self.output)


def signed_headers(body: bytes, secret: str) -> dict[str, str]:
    """The header DR would send for ``body``, timestamped now."""
    return {
        SIGNATURE_HEADER: sign(body, secret, int(time.time())),
        "content-type": "application/json",
    }


def running_receiver(
    db_url: str, *args: str, env: Mapping[str, str] | None = None, port: int = 0
) -> AbstractContextManager[Receiver]:
    """``orderfsm serve --db URL --port 0 ARGS...`` until the block ends (then SIGTERM).

    With ``--workers`` above 1 uvicorn reports the port it was given, not the
    one the OS chose, so those tests pass a :func:`free_port`.
    """
    argv = [ORDERFSM, "serve", "--db", db_url, "--host", "127.0.0.1", "--port", str(port), *args]
    return running_server(argv, env=env)


@contextmanager
def running_server(argv: list[str], *, env: Mapping[str, str] | None = None) -> Iterator[Receiver]:
    """Any command that ends up printing uvicorn's "running on" line (port 0)."""
    full_env = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )
    receiver = Receiver(process)
    readers = [
        threading.Thread(target=_drain, args=(stream, receiver), daemon=True)
        for stream in (process.stdout, process.stderr)
    ]
    for reader in readers:
        reader.start()
    try:
        if not receiver.ready.wait(START_TIMEOUT_S) or not receiver.base_url:
            raise AssertionError(f"receiver did not start:\n{receiver.printed()}")
        _wait_until_answering(receiver)
        yield receiver
    finally:
        stop(receiver)
        for reader in readers:
            reader.join(STOP_TIMEOUT_S)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _wait_until_answering(receiver: Receiver) -> None:
    # Several uvicorn workers print "running" before any of them accepts.
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            httpx.get(f"{receiver.base_url}/healthz", timeout=START_TIMEOUT_S)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or receiver.process.poll() is not None:
                raise AssertionError(f"receiver does not answer:\n{receiver.printed()}") from None
            time.sleep(0.05)


def stop(receiver: Receiver) -> None:
    """Stop the server the way an operator would (SIGTERM), killing it only if it hangs."""
    if receiver.process.poll() is None:
        receiver.process.send_signal(signal.SIGTERM)
        try:
            receiver.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            receiver.process.kill()
            receiver.process.wait(STOP_TIMEOUT_S)


def _drain(stream: object, receiver: Receiver) -> None:
    assert hasattr(stream, "readline")
    for line in iter(stream.readline, ""):
        receiver.output.append(line)
        found = RUNNING.search(line)
        if found:
            receiver.base_url = f"http://127.0.0.1:{found.group(1)}"
            receiver.ready.set()
    if receiver.process.poll() is not None:
        receiver.ready.set()
