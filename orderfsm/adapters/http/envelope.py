"""Reading a delivery: the raw body within its size limit, then only the event's envelope.

The receiver reads no more of an event than it needs to store it: its ``id``
(the deduplication key) and its ``type``. Everything else is the engine's
business, later, in a worker.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from orderfsm.errors import BodyTooLarge, EnvelopeError
from orderfsm.persistence.inbox import EVENT_ID_MAX_CHARS, EVENT_TYPE_MAX_CHARS


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the receiver reads of an event: enough to store and deduplicate it."""

    event_id: str
    event_type: str
    text: str
    """The body as received, decoded (UTF-8)."""


async def read_limited(
    chunks: AsyncIterator[bytes], *, limit: int, declared_length: str | None
) -> bytes:
    """The whole body, or :class:`BodyTooLarge` as soon as it passes ``limit`` bytes.

    A ``Content-Length`` above the limit is refused before anything is read; a
    missing or lying one does not matter, since the stream itself is counted.
    """
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise BodyTooLarge
    received = bytearray()
    async for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise BodyTooLarge
    return bytes(received)


def read_envelope(body: bytes) -> Envelope:
    """The event's ``id`` and ``type``; :class:`EnvelopeError` when the body is not an event."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"body is not UTF-8 text (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EnvelopeError(
            f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        raise EnvelopeError(f"body is JSON but not an object (found {_kind(data)})")
    event_id = _text_field(data, "id", EVENT_ID_MAX_CHARS)
    event_type = _text_field(data, "type", EVENT_TYPE_MAX_CHARS)
    return Envelope(event_id, event_type, text)


def _text_field(data: dict[str, object], key: str, max_chars: int) -> str:
    if key not in data:
        raise EnvelopeError(f"{key}: missing (a DR event has 'id' and 'type')")
    value = data[key]
    if not isinstance(value, str):
        raise EnvelopeError(f"{key}: expected a string, found {_kind(value)}")
    if not value.strip():
        raise EnvelopeError(f"{key}: empty")
    if len(value) > max_chars:
        raise EnvelopeError(f"{key}: longer than {max_chars} characters")
    return value


def _kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
