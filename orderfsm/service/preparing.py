"""The command-handler table: how each command is read before any transaction.

A command becomes a :data:`Unit` (the data one unit of work applies) or its
answer at once (an event the lifecycle ignores, an unreadable payload).
:meth:`Engine.apply <orderfsm.service.engine.Engine.apply>`,
:meth:`Engine.apply_many <orderfsm.service.engine.Engine.apply_many>` and
the journals all go through :func:`prepare`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orderfsm.adapters.digitalriver import (
    map_create_order_response,
    redirect_url,
    signal_from_body,
)
from orderfsm.adapters.digitalriver.parse import ParsedJson, RawPayload
from orderfsm.commands import Command, CreateOrderResponse, Submit, WebhookEvent
from orderfsm.errors import ConfigurationError, OrderFsmError, PayloadError
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.signals import NotRelevant, Signal
from orderfsm.service.results import Answer, ApplyResult

REDIRECT = "redirect"
"""DR's ``nextAction.action`` that sends the shopper to a payment page at once."""


@dataclass(frozen=True, slots=True)
class SubmitUnit:
    """Create the platform's order (idempotent)."""

    upstream_id: str
    checkout_id: str

    @property
    def refs(self) -> OrderRefs:
        """The ids the unit looks its order up by."""
        return OrderRefs(None, self.checkout_id, self.upstream_id)

    @property
    def event_id(self) -> None:
        """A submit is no DR event."""
        return None


@dataclass(frozen=True, slots=True)
class SignalUnit:
    """Apply one DR signal; ``raw_body`` lets an event for an unknown order wait."""

    signal: Signal
    raw_body: str | None = None
    redirect_url: str | None = None
    """Where a ``POST /orders`` answer asks the shopper to go (given back with the result)."""

    @property
    def refs(self) -> OrderRefs:
        """The ids the unit looks its order up by."""
        return self.signal.refs

    @property
    def event_id(self) -> str | None:
        """The DR event id (``None`` for a ``POST /orders`` answer)."""
        return self.signal.event_id


Unit = SubmitUnit | SignalUnit
"""What one unit of work applies."""

Prepared = Unit | Answer
"""A command read: its unit of work, or its answer already."""


def _submit(command: Submit) -> Prepared:
    return SubmitUnit(command.upstream_id, command.checkout_id)


def _create_order_response(command: CreateOrderResponse) -> Prepared:
    body = command.body
    answer = ParsedJson(body) if command.decoded and isinstance(body, dict) else body
    signal = map_create_order_response(
        command.status, answer, upstream_id=command.upstream_id, checkout_id=None
    )
    redirect = redirect_url(signal.snapshot) if signal.facts.next_action == REDIRECT else None
    return SignalUnit(signal, None, redirect)


def _webhook_event(command: WebhookEvent) -> Prepared:
    body: RawPayload | None = command.raw
    if command.data is not None:
        # With its raw body, the JSON was decoded by the adapter's parser (WebhookEvent.data).
        data = command.data
        body = ParsedJson(data) if command.raw is not None and isinstance(data, dict) else data
    if body is None:
        return PayloadError(["the event has neither a body nor its decoded JSON"])
    mapped = signal_from_body(body)
    if isinstance(mapped, NotRelevant):
        return ApplyResult(None, None, None, reason=mapped.reason, not_relevant=mapped)
    return SignalUnit(mapped, command.text())


_PREPARE: Mapping[type, Callable[[Any], Prepared]] = {
    Submit: _submit,
    CreateOrderResponse: _create_order_response,
    WebhookEvent: _webhook_event,
}
"""THE command-handler table: command type -> how it is read."""


def prepare(command: Command) -> Prepared:
    """Read ``command`` outside any transaction; a payload that cannot be read is its answer."""
    read = _PREPARE.get(type(command))
    if read is None:  # mypy rules this out; a caller without it gets one clear line
        raise ConfigurationError(f"not an orderfsm command: {type(command).__name__}")
    try:
        return read(command)
    except OrderFsmError as exc:
        return exc


def webhook_event(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """A webhook body as received (bytes or text) or already decoded, as a command."""
    if isinstance(body, bytes | str):
        return WebhookEvent(body)
    return WebhookEvent(None, body)
