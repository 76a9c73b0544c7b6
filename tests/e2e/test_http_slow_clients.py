"""Clients that never finish a request cannot take the receiver down (issue 14, item 1).

A real ``orderfsm serve`` in a subprocess with fewer descriptors than the
attack uses (``ulimit -n 256``, 300 half-open connections), real sockets on
127.0.0.1. While the attack holds, ``/healthz`` and signed deliveries must
still be answered; the half-open connections and a body trickled byte by
byte must be closed once their deadline passes. Every loop here is bounded
in count and time.
"""

from __future__ import annotations

import shlex
import socket
import threading
import time
from pathlib import Path

import httpx

from orderfsm import Engine
from orderfsm.adapters.http.config import ENV_SECRETS
from tests.e2e.http_receiver import running_server, signed_headers
from tests.support.cli import ORDERFSM

SECRET = "whsec_slow_clients"
EVENTS = Path(__file__).parents[1] / "fixtures" / "dr" / "events"
HEADER_TIMEOUT_S = 3.0
BODY_TIMEOUT_S = 3.0
HALF_OPEN = 300
DESCRIPTORS = 256
GRACE_S = 15.0
"""Slack on top of a deadline for a loaded 2-core machine; liveness, not speed."""

HALF_OPEN_REQUEST = b"POST /webhooks/digitalriver HTTP/1.1\r\nHost: x\r\n"


def _serve_argv(db_url: str) -> list[str]:
    serve = [ORDERFSM, "serve", "--db", db_url, "--host", "127.0.0.1", "--port", "0"]
    serve += ["--header-timeout", str(HEADER_TIMEOUT_S), "--body-timeout", str(BODY_TIMEOUT_S)]
    serve += ["--max-connections", "200"]
    return ["sh", "-c", f"ulimit -n {DESCRIPTORS} && exec {shlex.join(serve)}"]


def _half_open(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(HALF_OPEN_REQUEST)
    return sock


def _closed_by_server(sock: socket.socket, until: float) -> bool:
    """Whether the server closes ``sock`` before ``until`` (monotonic); what it sent is read."""
    while (left := until - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
    return False


def _trickle(port: int, answer: list[bytes]) -> None:
    """Send complete headers, then a body one byte every 0.5 s (bounded: 40 bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /webhooks/digitalriver HTTP/1.1\r\nHost: x\r\n"
            b"content-type: application/json\r\ncontent-length: 100\r\n\r\n"
        )
        sock.settimeout(0.5)
        for _ in range(40):
            try:
                sock.sendall(b" ")
                if data := sock.recv(4096):
                    answer.append(data)
                    return
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return


def test_half_open_connections_and_a_trickled_body_neither_block_nor_outlive_their_deadline(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    Engine.open(url, create_if_empty=True).close()
    body = (EVENTS / "order.accepted__1.json").read_bytes()
    with running_server(_serve_argv(url), env={ENV_SECRETS: SECRET}) as receiver:
        port = int(receiver.base_url.rsplit(":", 1)[1])
        trickled: list[bytes] = []
        trickler = threading.Thread(target=_trickle, args=(port, trickled), daemon=True)
        trickler.start()
        attack = [_half_open(port) for _ in range(HALF_OPEN)]
        opened = time.monotonic()
        try:
            with httpx.Client(base_url=receiver.base_url, timeout=10) as client:
                health = [client.get("/healthz").status_code for _ in range(5)]
                deliveries = [
                    client.post(
                        "/webhooks/digitalriver",
                        content=body,
                        headers=signed_headers(body, SECRET),
                    ).status_code
                    for _ in range(5)
                ]
            deadline = opened + HEADER_TIMEOUT_S + GRACE_S
            still_open = sum(not _closed_by_server(sock, deadline) for sock in attack)
        finally:
            for sock in attack:
                sock.close()
        trickler.join(BODY_TIMEOUT_S + GRACE_S)

    assert health == [200] * 5
    assert deliveries == [202] + [202] * 4
    assert still_open == 0
    assert trickled and trickled[0].startswith(b"HTTP/1.1 408"), trickled
    assert "Too many open files" not in receiver.printed()
