"""Who may use the console: HTTP basic credentials or a bearer token, and a CSRF token per user.

With credentials configured, every request (pages, stylesheet, actions)
needs them: ``Authorization: Basic`` (user and password) or
``Authorization: Bearer`` (the password alone, for scripts). Without
credentials the console serves loopback only, and then only requests whose
``Host`` is a loopback name, so a web page cannot reach it by rebinding DNS
(:func:`loopback_host` and the app's trusted hosts).

Every POST carries a CSRF token: an HMAC of the user under a key made at
start, so a page elsewhere cannot make the operator's browser retry things
(the browser would send the basic credentials by itself).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

LOCAL_OPERATOR = "local"
"""The actor recorded when the console runs on loopback without credentials."""
CSRF_FIELD = "csrf_token"
"""The form field every POST must carry."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
REALM = 'Basic realm="orderfsm console", charset="UTF-8"'


@dataclass(frozen=True, slots=True)
class Credentials:
    """The one operator account: user name and password (the password is also the token)."""

    user: str
    password: str = field(repr=False)

    def who(self, connection: HTTPConnection) -> str | None:
        """The user a request proves to be, or ``None`` when it proves nothing."""
        header = connection.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self.user if _same(value.strip(), self.password) else None
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        # Both compared, always: the time taken does not say which one was wrong.
        good = _same(user, self.user) & _same(password, self.password)
        return user if sep and good else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class CsrfTokens:
    """Tokens bound to a user name, valid for this process's life."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def token(self, user: str) -> str:
        """The token forms carry for ``user``."""
        return hmac.new(self._key, user.encode(), hashlib.sha256).hexdigest()

    def valid(self, user: str, token: str | None) -> bool:
        """Whether ``token`` is ``user``'s."""
        return token is not None and hmac.compare_digest(token, self.token(user))


def loopback_host(host: str) -> bool:
    """Whether ``host`` (what the console listens on) is this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
