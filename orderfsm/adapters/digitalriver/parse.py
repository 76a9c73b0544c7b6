"""Reading DR payloads: raw bytes, text or mappings in, models out.

Whatever is wrong with a payload (not JSON, cut short, nested too deeply, a
wrong type, a missing field, an id far too long, a NUL, a lone surrogate or
an infinite number anywhere: see :mod:`.limits`) comes out as ONE
:class:`~orderfsm.errors.PayloadError` listing each problem as
``"json.path: reason"`` and naming the event's id and type when they could be
read. No other exception escapes these functions for bad input.

:func:`parse_event` reads the envelope only: what ``data.object`` must look
like depends on the event type, and only the mapping table knows that, so
:func:`parse_event_object` reads it on the table's behalf.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails, from_json

from orderfsm.adapters.digitalriver.limits import check_limits, may_break_limits, string_problem
from orderfsm.adapters.digitalriver.models import MAX_TOKEN_LENGTH, DrModel, ErrorBody, Event
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.adapters.digitalriver.models_other import Charge, Fulfillment, Refund
from orderfsm.errors import PayloadError


@dataclass(frozen=True, slots=True)
class ParsedJson:
    """A JSON object decoded from text by pydantic-core's ``from_json(..., allow_inf_nan=False)``.

    The parser this module decodes text with: its depth bound holds, so the
    value is checked exactly as the text would be (the quick re-encoding test
    of :func:`~.limits.may_break_limits`, the walk only when it shows a sign),
    not walked whole as a mapping built in Python must be.
    """

    value: dict[str, Any]


RawPayload = bytes | str | ParsedJson | Mapping[str, Any]
"""A payload as received: the raw body (bytes or text), decoded by the same parser, or a
JSON object built any other way (always walked for the input limits)."""

M = TypeVar("M", bound=DrModel)

MAX_PROBLEMS = 20
"""Problems listed in one error; the rest are counted, so the message stays readable."""

_MAX_KEY_IN_PATH = 64
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ROOT = "$"
# pydantic's own wording names our model classes ("instance of EventData").
_OBJECT_TYPES = frozenset({"model_type", "dict_type"})
_OBJECT_EXPECTED = "Input should be a JSON object"


def parse_event(raw: RawPayload) -> Event:
    """Read a webhook event's envelope (``data.object`` stays a plain dict)."""
    data = _load(raw)
    event_id, event_type = _reference(data)
    return _validate(Event, data, where="", event_id=event_id, event_type=event_type)


def parse_event_object(event: Event, model: type[M]) -> M:
    """Read an event's ``data.object`` as ``model``; problems are reported under ``data.object``."""
    return _validate(
        model,
        event.data.object,
        where="data.object",
        event_id=event.id,
        event_type=event.type,
    )


def parse_order(raw: RawPayload) -> Order:
    """Read a DR order, e.g. the body of a ``201`` answer to ``POST /orders``."""
    return _validate(Order, _load(raw), where="")


def parse_charge(raw: RawPayload) -> Charge:
    """Read a charge object (the kind ``order.charge.*`` events carry)."""
    return _validate(Charge, _load(raw), where="")


def parse_fulfillment(raw: RawPayload) -> Fulfillment:
    """Read a fulfillment object."""
    return _validate(Fulfillment, _load(raw), where="")


def parse_refund(raw: RawPayload) -> Refund:
    """Read a refund object."""
    return _validate(Refund, _load(raw), where="")


def parse_error_body(raw: RawPayload) -> ErrorBody:
    """Read the body of a DR 4xx answer (``type`` and ``errors[]``)."""
    return _validate(ErrorBody, _load(raw), where="")


def json_path(where: str, loc: Sequence[str | int]) -> str:
    """Render a pydantic error location as a JSON path under ``where``.

    ``("payment", "charges", 0, "state")`` under ``"data.object"`` reads
    ``data.object.payment.charges[0].state``; the root itself is ``$``.
    """
    path = where
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}" if path else part
        else:
            # A map key such as a stateTransitions state or an odd extra key.
            key = part if len(part) <= _MAX_KEY_IN_PATH else part[:_MAX_KEY_IN_PATH] + "..."
            path += f"[{json.dumps(key)}]"
    return path or _ROOT


def _load(raw: RawPayload) -> dict[str, Any]:
    """Decode a body into a JSON object, or raise PayloadError saying why not."""
    parsed = isinstance(raw, bytes | str | ParsedJson)
    if isinstance(raw, ParsedJson):
        data = raw.value
    elif isinstance(raw, bytes | str):
        try:
            # pydantic-core's parser: fast, bounded nesting depth, and it refuses
            # NaN/Infinity, which no JSON column downstream could store.
            data = from_json(raw, allow_inf_nan=False)
        except ValueError as exc:
            event_id, event_type = _reference(_salvage(raw))
            raise PayloadError(
                [f"{_ROOT}: not valid JSON ({exc})"], event_id=event_id, event_type=event_type
            ) from exc
    elif isinstance(raw, Mapping):
        data = raw if isinstance(raw, dict) else dict(raw)
    else:
        raise PayloadError([f"{_ROOT}: expected JSON text or a mapping, not {type(raw).__name__}"])
    if not isinstance(data, dict):
        raise PayloadError([f"{_ROOT}: expected a JSON object, not {_json_kind(data)}"])
    # A mapping built in Python has no parser's depth bound: always walked.
    walk = not parsed or may_break_limits(data)
    problem = check_limits(data, lambda loc: json_path("", loc)) if walk else None
    if problem is not None:
        event_id, event_type = _reference(data)
        raise PayloadError([problem], event_id=event_id, event_type=event_type)
    return data


def _validate(
    model: type[M],
    data: object,
    *,
    where: str,
    event_id: str | None = None,
    event_type: str | None = None,
) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(_problems(exc, where), event_id=event_id, event_type=event_type) from exc
    except RecursionError as exc:
        # Only reachable with a mapping built in Python: parsed JSON is depth-bounded.
        raise PayloadError(
            [f"{where or _ROOT}: nested too deeply"], event_id=event_id, event_type=event_type
        ) from exc


def _problems(exc: ValidationError, where: str) -> list[str]:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    problems = [f"{json_path(where, e['loc'])}: {_reason(e)}" for e in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        problems.append(f"... and {len(errors) - MAX_PROBLEMS} more problems")
    return problems


def _reason(error: ErrorDetails) -> str:
    return _OBJECT_EXPECTED if error["type"] in _OBJECT_TYPES else error["msg"]


def _reference(data: object) -> tuple[str | None, str | None]:
    """The event id and type, when the payload has readable ones (for error messages)."""
    if not isinstance(data, dict):
        return None, None
    return _short_text(data.get("id")), _short_text(data.get("type"))


def _short_text(value: object) -> str | None:
    # Only text an error message can carry: bounded, no NUL, no lone surrogate.
    if isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_LENGTH:
        return value if string_problem(value) is None else None
    return None


def _salvage(raw: bytes | str) -> object:
    """Best effort to read the start of a broken body, so its error can name the event."""
    try:
        return from_json(raw, allow_inf_nan=False, allow_partial=True)
    except ValueError:
        return None


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else type(value).__name__
