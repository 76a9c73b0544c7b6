"""uvicorn's HTTP protocol with a deadline and a size cap on request headers.

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) but
waits for ever on one that opened, or began a request, and never finished
its headers; and its httptools parser takes headers of any size. A few hundred
such connections, which need no credentials at all, exhausted the receiver's
file descriptors and made every request fail, ``/healthz`` included (issue 14).

:class:`BoundedHttpProtocol` gives each request ``header_timeout`` seconds,
from the connection's opening (or the first byte of a later request on it),
to complete its headers, and at most ``max_header_bytes`` bytes for them; a
connection that breaks either is answered 408 or 431 and closed.

It also caps open connections at ``max_connections`` (below ``ulimit -n``,
so the process never runs out of descriptors). uvicorn's own
``limit_concurrency`` is not enough: it answers 503 only once a request's
headers are in, so a connection that never sends them still holds its
descriptor. A connection arriving at the cap evicts the longest-open one that
has no request in progress (idle, or still sending headers: a sender that
cannot wait); only when every connection is serving a request is the newcomer
answered 503. A client that sends its request at once, as DR and load
balancers do, so always gets in, however many half-open connections an
attacker holds. The body has
a deadline of its own in the app (``ReceiverConfig.body_timeout``), where
Starlette reads it. :class:`ServerConfig` carries the three settings, and, being
a module-level class, travels to uvicorn's worker processes with the rest of
uvicorn's configuration.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from orderfsm.adapters.http.config import (
    DEFAULT_HEADER_TIMEOUT_S,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES,
)

_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-length: 0\r\nconnection: close\r\n\r\n"
)


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration plus the header limits :class:`BoundedHttpProtocol` enforces."""

    def __init__(
        self,
        app: Any,
        *,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT_S,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        **options: Any,
    ) -> None:
        super().__init__(app, http=BoundedHttpProtocol, **options)
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self.max_connections = max_connections


class BoundedHttpProtocol(HttpToolsProtocol):
    """httptools' protocol, but a request's headers must arrive in time and within a size."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._header_timeout = float(getattr(config, "header_timeout", DEFAULT_HEADER_TIMEOUT_S))
        self._max_header_bytes = int(getattr(config, "max_header_bytes", DEFAULT_MAX_HEADER_BYTES))
        self._max_connections = int(getattr(config, "max_connections", DEFAULT_MAX_CONNECTIONS))
        self._opened_at = 0.0
        self._deadline: asyncio.TimerHandle | None = None
        self._awaiting_headers = False
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Make room if the cap is reached, then start the clock for the first headers."""
        super().connection_made(transport)
        self._opened_at = self.loop.time()
        if len(self.connections) > self._max_connections:
            idle = self._oldest_idle()
            if idle is None:
                # Every other connection is serving a request: this one must wait its turn.
                self.transport.write(_BUSY)
                self.transport.close()
                return
            idle._refuse(_TIMED_OUT)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        """Feed the parser; refuse headers that grew past the cap without ending."""
        if self._awaiting_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._awaiting_headers and self._header_bytes > self._max_header_bytes:
            self._refuse(_TOO_LARGE)

    def on_message_begin(self) -> None:
        """A request starts (the first, or a later one on a kept-alive connection)."""
        super().on_message_begin()
        if not self._awaiting_headers:
            self._await_headers()

    def on_headers_complete(self) -> None:
        """The headers are in: the deadline is met, the app takes over."""
        self._stop_clock()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """No deadline outlives its connection."""
        self._stop_clock()
        super().connection_lost(exc)

    def _oldest_idle(self) -> BoundedHttpProtocol | None:
        """The longest-open other connection with no request in progress, if any."""
        idle = [
            other
            for other in self.connections
            if isinstance(other, BoundedHttpProtocol)
            and other is not self
            and not other.transport.is_closing()
            and (other.cycle is None or other.cycle.response_complete)
        ]
        return min(idle, key=lambda other: other._opened_at, default=None)

    def _await_headers(self) -> None:
        self._stop_clock()
        self._awaiting_headers = True
        self._header_bytes = 0
        self._deadline = self.loop.call_later(self._header_timeout, self._refuse, _TIMED_OUT)

    def _stop_clock(self) -> None:
        self._awaiting_headers = False
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, answer: bytes) -> None:
        self._stop_clock()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()
