"""The one fault plain ASGI cannot express in a response: an answer lost on the wire.

A handler marks its response with :data:`DROP_HEADER`; :class:`AnswerDropper`
then sends the status line and headers promising a body, sends none, and
ends the request, so the server closes the connection mid-answer. The work
was done; the client gets a transport error, exactly like a reset after DR
committed the order.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DROP_HEADER = "x-sandbox-drop-answer"
_PROMISED_LENGTH = b"65536"
_log = logging.getLogger("orderfsm.sandbox")


class AnswerDropper:
    """ASGI wrapper around the sandbox app: drops the answers marked for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @property
    def state(self) -> Any:
        """The wrapped app's state (``sandbox``, ``faults``, ``webhooks``, ``requests``)."""
        return getattr(self.app, "state")  # noqa: B009 - ASGIApp's type does not declare it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        dropping = False

        async def guarded(message: Message) -> None:
            nonlocal dropping
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                if DROP_HEADER.encode() in names:
                    dropping = True
                    _log.warning(
                        "fault: %s %s done, its %s answer dropped",
                        scope["method"],
                        scope["path"],
                        message["status"],
                    )
                    await send(
                        {
                            "type": "http.response.start",
                            "status": message["status"],
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"content-length", _PROMISED_LENGTH),
                            ],
                        }
                    )
                    return
            if dropping:
                return
            await send(message)

        await self.app(scope, receive, guarded)
