"""Shared pieces of the Digital River models, the event envelope and the error body.

Every model keeps the fields DR adds over time (``extra="allow"``) instead of
rejecting them, reads DR's camelCase keys while exposing snake_case
attributes, and is frozen: a payload is a record of what DR said, not a
working copy. The order lives in :mod:`.models_order`; the charge, fulfillment
and refund objects in :mod:`.models_other`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from orderfsm.adapters.digitalriver.limits import string_problem

MAX_TOKEN_LENGTH = 255
"""Longest id, type or state accepted; DR's are UUIDs or short words."""

MAX_FRAUD_STATE_LENGTH = 32
"""Longest ``fraudState`` accepted: it is stored with the order (DR's are single words)."""

MAX_EVENT_TYPE_LENGTH = 128
"""Longest event type accepted; DR's are dotted words (``order.charge.capture.complete``)."""


def _require_datetime_text(value: object) -> object:
    # Lax pydantic would read a number as a unix time; DR always sends ISO-8601
    # text, so anything else means the payload is not what we think it is.
    if isinstance(value, str | datetime):
        return value
    raise PydanticCustomError("datetime_type", "Input should be an ISO-8601 date-time string")


def _as_utc(value: datetime) -> datetime:
    # DR's clocks are UTC; a stamp without an offset is read as UTC so that
    # every stamp the engine compares is timezone-aware.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, BeforeValidator(_require_datetime_text), AfterValidator(_as_utc)]
"""An ISO-8601 date-time from DR, always returned timezone-aware in UTC."""


def _storable(value: str) -> str:
    # The parser refuses these anywhere in a payload; a model validated from a
    # mapping built in Python must refuse them as well (see .limits).
    reason = string_problem(value)
    if reason is not None:
        raise PydanticCustomError("token_characters", "Text " + reason)
    return value


Token = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TOKEN_LENGTH), AfterValidator(_storable)
]
"""A DR identifier, event type or state: a non-empty string of bounded length, storable."""

EventType = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_EVENT_TYPE_LENGTH),
    AfterValidator(_storable),
]
"""An event's ``type``: a token, and short enough for every table that records it."""

FraudState = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_FRAUD_STATE_LENGTH),
    AfterValidator(_storable),
]
"""An order's ``fraudState``, short enough for the orders table that keeps it."""


class DrModel(BaseModel):
    """Base of every DR payload model: camelCase on the wire, extras kept, frozen."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        frozen=True,
    )


class EventData(DrModel):
    """``data`` of an event: the object it carries and, for updates, what changed."""

    object: dict[str, Any]
    """The order, charge, fulfillment, refund, ... as DR sent it (read per event type)."""
    previous_attributes: dict[str, Any] | None = None


class Event(DrModel):
    """A webhook event (or an item of ``GET /events``)."""

    id: Token
    type: EventType
    data: EventData
    created_time: UtcDatetime
    live_mode: bool | None = None
    webhook_ids: tuple[str, ...] = ()
    digitalriver_version: str | None = None


class ErrorDetail(DrModel):
    """One entry of an error body: a machine ``code`` and, usually, a ``message``."""

    code: Token
    parameter: str | None = None
    message: str | None = None


class ErrorBody(DrModel):
    """The body of a DR 4xx answer: ``{"type": "conflict", "errors": [...]}``."""

    type: Token
    errors: tuple[ErrorDetail, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """Every error code, in DR's order (internal use only: never show a customer)."""
        return tuple(error.code for error in self.errors)
