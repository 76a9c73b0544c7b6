"""What every page shares: the database, the templates (autoescaped), the CSRF tokens, the gate.

:class:`Gate` is the ASGI middleware in front of every route: with
credentials, a request without them gets 401 and a basic-auth challenge;
without credentials, only a loopback client naming a loopback host gets in.
The user it lets in is kept in the scope for the pages and for the record
of each retry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any, cast

import jinja2
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from orderfsm.console.auth import (
    CSRF_FIELD,
    LOCAL_OPERATOR,
    REALM,
    Credentials,
    CsrfTokens,
    loopback_host,
)
from orderfsm.console.config import DatabaseHolder
from orderfsm.persistence.operator_actions import ActionVia, Operator

POLICY_VIOLATION = 1008
"""The close code for a WebSocket refused by the gate (an extra route may be one)."""
SCOPE_SITE = "orderfsm.console.site"
SCOPE_USER = "orderfsm.console.user"
_PACKAGE = "orderfsm.console"


class Site:
    """The console's shared parts; one per app."""

    def __init__(self, holder: DatabaseHolder, credentials: Credentials | None) -> None:
        self.holder = holder
        self.credentials = credentials
        self.csrf = CsrfTokens()
        environment = jinja2.Environment(
            loader=jinja2.PackageLoader(_PACKAGE, "templates"),
            # Everything: ids, reasons, payloads and errors come from DR and the host.
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        environment.filters["utc"] = utc_text
        self.templates = Jinja2Templates(env=environment)

    def page(
        self, request: Request, name: str, *, status_code: int = 200, **context: Any
    ) -> Response:
        """A rendered template, with the user and their CSRF token."""
        user = user_of(request)
        context |= {"user": user, "csrf_field": CSRF_FIELD, "csrf_token": self.csrf.token(user)}
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def refuse_without_token(self, request: Request, token: str | None) -> Response | None:
        """403 unless ``token`` is the user's CSRF token."""
        if self.csrf.valid(user_of(request), token):
            return None
        return PlainTextResponse("refused: missing or wrong CSRF token", status_code=403)

    @staticmethod
    def stylesheet() -> bytes:
        """The CSS file, from the package."""
        return resources.files(_PACKAGE).joinpath("static/console.css").read_bytes()


def site_of(request: Request) -> Site:
    """The site of the app serving ``request``."""
    return cast(Site, request.scope[SCOPE_SITE])


def user_of(connection: HTTPConnection) -> str:
    """Who the gate let in."""
    return cast(str, connection.scope[SCOPE_USER])


def operator_of(connection: HTTPConnection) -> Operator:
    """The signed-in user as the actor of an operator action."""
    return Operator(actor=user_of(connection), via=ActionVia.CONSOLE)


def utc_text(moment: datetime | None) -> str:
    """A time as ``2026-12-02 03:04:05Z`` (``-`` when unknown)."""
    if moment is None:
        return "-"
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%d %H:%M:%SZ")


class Gate:
    """ASGI middleware: credentials (or loopback only), then the site in the scope."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        user = self._admit(connection)
        if user is None and scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        if user is None:
            headers = {"WWW-Authenticate": REALM} if self.site.credentials else {}
            answer = PlainTextResponse(
                "the orderfsm console needs credentials", status_code=401, headers=headers
            )
            if self.site.credentials is None:
                answer = PlainTextResponse(
                    "the orderfsm console without credentials answers loopback only",
                    status_code=403,
                )
            await answer(scope, receive, send)
            return
        scope[SCOPE_USER] = user
        scope[SCOPE_SITE] = self.site
        await self.app(scope, receive, send)

    def _admit(self, connection: HTTPConnection) -> str | None:
        if self.site.credentials is not None:
            return self.site.credentials.who(connection)
        client = connection.client.host if connection.client else ""
        header = connection.headers.get("host", "")
        host = header[: header.find("]") + 1] if header.startswith("[") else header.split(":")[0]
        return LOCAL_OPERATOR if loopback_host(client) and loopback_host(host) else None
