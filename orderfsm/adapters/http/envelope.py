"""Reading a delivery: the raw body within its size limit, then only the event's envelope.

The receiver stores an event's ``id`` (the deduplication key), its ``type``
and its raw body; the lifecycle work is the engine's business, later, in a
worker. But it reads the body with the same parser, limits and mapping as the
worker, so a body it answers 202 for is one the worker can read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from orderfsm.adapters.digitalriver import map_event, parse_event
from orderfsm.errors import BodyTooLarge, EnvelopeError, PayloadError
from orderfsm.fsm.signals import Signal
from orderfsm.persistence.inbox import EVENT_ID_MAX_CHARS, EVENT_TYPE_MAX_CHARS


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the receiver reads of an event: enough to store and deduplicate it."""

    event_id: str
    event_type: str
    text: str
    """The body as received, decoded (UTF-8)."""
    order_ref: str | None = None
    """The order it concerns, for log lines: the shop's ref, else DR's order or checkout id."""


async def read_limited(
    chunks: AsyncIterator[bytes], *, limit: int, declared_length: str | None
) -> bytes:
    """The whole body, or :class:`BodyTooLarge` as soon as it passes ``limit`` bytes.

    A ``Content-Length`` above the limit is refused before anything is read; a
    missing or lying one does not matter, since the stream itself is counted.
    """
    declared = declared_length or ""
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    received = bytearray()
    async for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise BodyTooLarge
    return bytes(received)


def read_envelope(body: bytes) -> Envelope:
    """The event's ``id`` and ``type``, read exactly as the worker will read the body.

    The body goes through the DR adapter's own parser and mapping (the
    worker's path, without the database): what passes here, the worker can
    apply or record as not relevant; anything else is an :class:`EnvelopeError`
    naming what is wrong, never a stored event that goes dead later.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"body is not UTF-8 text (byte {exc.start})") from exc
    try:
        event = parse_event(text)
        meaning = map_event(event)
    except PayloadError as exc:
        raise EnvelopeError("; ".join(exc.problems)) from exc
    # The models bound ids and types; the inbox's columns must hold what they accept.
    if len(event.id) > EVENT_ID_MAX_CHARS or len(event.type) > EVENT_TYPE_MAX_CHARS:
        raise EnvelopeError("id or type: longer than the inbox can store")
    order_ref = None
    if isinstance(meaning, Signal):
        refs = meaning.refs
        order_ref = refs.upstream_id or refs.dr_order_id or refs.checkout_id
    return Envelope(event.id, event.type, text, order_ref)
