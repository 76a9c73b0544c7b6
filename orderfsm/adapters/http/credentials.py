"""The receiver's basic credentials, checked in constant time (deliveries, /healthz, /metrics)."""

from __future__ import annotations

import base64
import binascii
import hmac

from orderfsm.adapters.http.config import BasicAuth

AUTHORIZATION = "authorization"
"""The request header carrying the credentials."""


def authorized(header: str | None, expected: BasicAuth) -> bool:
    """Constant-time check of an ``Authorization: Basic ...`` header."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    user_ok = hmac.compare_digest(user.encode(), expected.user.encode())
    password_ok = hmac.compare_digest(password.encode(), expected.password.encode())
    return bool(sep) and user_ok and password_ok
