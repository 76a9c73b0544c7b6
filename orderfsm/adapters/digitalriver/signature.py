"""Verifying the ``DigitalRiver-Signature`` header of a webhook delivery.

DR signs ``"<timestamp>.<raw body>"`` with HMAC-SHA256 under the endpoint's
signing secret. It does not publish the header's grammar, so two forms are
read:

- ``<timestamp>, <signature>``, base64 signature: the form DR's own
  Salesforce connector verifies, and the one :func:`sign` writes;
- ``t=<timestamp>,v0=<signature>``, hex or base64 signature (several ``v0``
  entries allowed).

The timestamp may be unix seconds, unix milliseconds or ISO-8601; it is
signed exactly as written in the header. Every signature comparison goes
through :func:`hmac.compare_digest`. Several secrets are accepted at once,
because after a rotation DR keeps signing with the old one for up to 12 hours.
A refusal names the check that failed, never a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from orderfsm.errors import ConfigurationError, SignatureError

SIGNATURE_HEADER = "DigitalRiver-Signature"
"""The HTTP header DR puts the signature in."""

DEFAULT_TOLERANCE = timedelta(minutes=5)
"""How far a signature's timestamp may be from now, either way."""

MISSING_HEADER = "missing header"
MALFORMED_HEADER = "malformed header"
NO_MATCHING_SIGNATURE = "no matching signature"
TIMESTAMP_OUTSIDE_TOLERANCE = "timestamp outside tolerance"

_MILLISECONDS_FROM = 10**11
"""A numeric timestamp this large is in milliseconds (10**11 seconds is the year 5138)."""
_MAX_HEADER_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class SignatureConfig:
    """The signing secrets in force (old and new during a rotation) and the tolerance."""

    secrets: tuple[str, ...] = field(repr=False)
    tolerance: timedelta = DEFAULT_TOLERANCE

    def __post_init__(self) -> None:
        # The secrets' values are never put in a message.
        if not self.secrets:
            raise ConfigurationError("SignatureConfig.secrets must hold at least one secret")
        if not all(secret.strip() for secret in self.secrets):
            raise ConfigurationError("SignatureConfig.secrets must not hold a blank secret")
        if self.tolerance < timedelta(0):
            raise ConfigurationError(
                f"SignatureConfig.tolerance must not be negative, not {self.tolerance}"
            )

    def verify(self, header: str | None, body: bytes, *, now: datetime | float) -> None:
        """:func:`verify_signature` with this configuration."""
        verify_signature(header, body, self.secrets, now=now, tolerance=self.tolerance)


def verify_signature(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    *,
    now: datetime | float,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Check a delivery's signature header against its raw body; return quietly if it holds.

    ``now`` is a datetime (naive means UTC) or unix seconds. Raises
    :class:`~orderfsm.errors.SignatureError` whose ``check`` is one of
    ``missing header``, ``malformed header``, ``no matching signature`` or
    ``timestamp outside tolerance``. The signature is checked before the
    timestamp, so a stale refusal always concerns a genuine delivery.
    """
    if header is None or not header.strip():
        raise SignatureError(MISSING_HEADER)
    if len(header) > _MAX_HEADER_LENGTH or not header.isascii():
        raise SignatureError(MALFORMED_HEADER, "too long or not ASCII")
    timestamp_text, signatures = _split_header(header)
    signed_at = _read_timestamp(timestamp_text)
    signed_payload = timestamp_text.encode("ascii") + b"." + body

    matched = False
    for secret in secrets:
        if not secret:
            continue
        digest = hmac.new(secret.encode("utf-8"), signed_payload, hashlib.sha256).digest()
        expected = (base64.b64encode(digest), digest.hex().encode("ascii"))
        for given in signatures:
            for candidate in expected:
                # No early exit: the work done does not depend on which one matches.
                matched |= hmac.compare_digest(given, candidate)
    if not matched:
        raise SignatureError(
            NO_MATCHING_SIGNATURE,
            f"{len(signatures)} signature(s) checked against {len(secrets)} secret(s)",
        )

    skew = abs(_as_datetime(now) - signed_at)
    if skew > tolerance:
        raise SignatureError(
            TIMESTAMP_OUTSIDE_TOLERANCE,
            f"signed {skew.total_seconds():.0f}s away from now, "
            f"tolerance {tolerance.total_seconds():.0f}s",
        )


def sign(body: bytes, secret: str, timestamp: datetime | int | str) -> str:
    """The header DR would send for ``body``: ``"<timestamp>, <base64 signature>"``.

    ``timestamp`` is a datetime or unix seconds, or text used verbatim (e.g.
    milliseconds or ISO-8601). For tests, the demo and local tooling.
    """
    if isinstance(timestamp, datetime):
        text = str(int(_as_datetime(timestamp).timestamp()))
    else:
        text = str(timestamp)
    digest = hmac.new(secret.encode("utf-8"), text.encode("ascii") + b"." + body, hashlib.sha256)
    return f"{text}, {base64.b64encode(digest.digest()).decode('ascii')}"


def _split_header(header: str) -> tuple[str, tuple[bytes, ...]]:
    """The timestamp as written and the signatures offered, in comparable form."""
    parts = [part.strip() for part in header.split(",")]
    if parts[0].startswith("t="):
        timestamp = ""
        signatures: list[str] = []
        for part in parts:
            key, sep, value = part.partition("=")
            if not sep:
                raise SignatureError(MALFORMED_HEADER, "expected key=value entries")
            if key == "t":
                if timestamp:
                    raise SignatureError(MALFORMED_HEADER, "more than one timestamp")
                timestamp = value
            elif key == "v0" and value:
                signatures.append(value)
        if not timestamp or not signatures:
            raise SignatureError(MALFORMED_HEADER, "expected t=<timestamp>,v0=<signature>")
    elif len(parts) == 2 and all(parts):
        timestamp, signatures = parts[0], [parts[1]]
    else:
        raise SignatureError(MALFORMED_HEADER, "expected '<timestamp>, <signature>'")
    return timestamp, tuple(_comparable(signature) for signature in signatures)


def _comparable(signature: str) -> bytes:
    # Hex may come in either case; base64 is case-sensitive and compared as given.
    if len(signature) == 2 * hashlib.sha256().digest_size and _is_hex(signature):
        return signature.lower().encode("ascii")
    return signature.encode("ascii")


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _read_timestamp(text: str) -> datetime:
    """Unix seconds, unix milliseconds or ISO-8601 (naive means UTC)."""
    if text.isdigit():
        seconds = int(text)
        if seconds >= _MILLISECONDS_FROM:
            seconds //= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise SignatureError(MALFORMED_HEADER, "timestamp out of range") from exc
    try:
        return _as_datetime(datetime.fromisoformat(text))
    except ValueError as exc:
        raise SignatureError(MALFORMED_HEADER, "unreadable timestamp") from exc


def _as_datetime(value: datetime | float) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return datetime.fromtimestamp(value, tz=UTC)
