"""Real local servers for the built-in handlers: SMTP (aiosmtpd) and HTTP (stdlib)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.net import free_port


@dataclass
class Mailbox:
    """What the SMTP server accepted: envelope recipients and parsed messages."""

    refuse: dict[str, str] = field(default_factory=dict)
    """Recipients refused, with the answer (e.g. ``550 5.1.1 mailbox unavailable``)."""
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server on 127.0.0.1 (a free port) for the duration of the block."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass(frozen=True)
class Request:
    """One request the HTTP server received."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Script:
    """The answers the HTTP server gives, in turn (the last one repeats)."""

    answers: list[tuple[int, float]]
    """(status, seconds to wait before answering)."""
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self, request: Request) -> tuple[int, float]:
        with self.lock:
            self.requests.append(request)
            return self.answers[min(len(self.requests), len(self.answers)) - 1]


@contextmanager
def http_server(script: Script) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering POSTs as ``script`` says; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            status, delay = script.next_answer(
                Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if delay:
                # Waits the delay, or until the block ends: a timeout test's
                # long delay holds no thread past the test.
                released.wait(delay)
            reply = json.dumps({"status": status}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    released = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
