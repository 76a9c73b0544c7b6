"""The effect vocabulary: what a transition asks the outside world to do.

A transition never calls a mail server or a warehouse. It emits intents (plain
data); the engine stores them in the outbox in the same transaction as the
state change, and the dispatcher hands each to the handler the host registered
under the effect's name. The names are public API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from orderfsm.fsm.signals import Facts
from orderfsm.fsm.states import OrderState, Trigger


class EffectName(StrEnum):
    """Every effect a host can register a handler for."""

    SEND_ORDER_CONFIRMATION = "send_order_confirmation"
    REQUEST_SHIPMENT = "request_shipment"
    DELIVER_DIGITAL = "deliver_digital"
    SEND_PAYMENT_INSTRUCTIONS = "send_payment_instructions"
    NOTIFY_PAYMENT_FAILED = "notify_payment_failed"
    NOTIFY_ORDER_BLOCKED = "notify_order_blocked"
    NOTIFY_ORDER_CANCELLED = "notify_order_cancelled"
    CANCEL_FULFILLMENT = "cancel_fulfillment"
    REPORT_FULFILLMENT = "report_fulfillment"
    """Tell DR what the platform shipped or cancelled (``POST /fulfillments``)."""
    NOTIFY_OPERATOR_STUCK = "notify_operator_stuck"
    """Tell the operator an order waits in a state past its deadline (no transition emits it:
    the stuck scan does, once per order, state and time it entered that state)."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A named predicate over DR's facts deciding whether an effect applies."""

    name: str
    test: Callable[[Facts], bool]


@dataclass(frozen=True, slots=True)
class EffectSpec:
    """An effect declared in the lifecycle table, optionally conditional."""

    name: EffectName
    when: Condition | None = None

    def applies(self, facts: Facts) -> bool:
        """Whether this effect is emitted for a signal with these facts."""
        return self.when is None or self.when.test(facts)

    @property
    def label(self) -> str:
        """How diagrams and docs write this effect."""
        return self.name.value if self.when is None else f"{self.name.value} ({self.when.name})"


@dataclass(frozen=True, slots=True)
class EffectIntent:
    """One effect the machine emitted for one firing; the outbox stores it.

    ``entered`` is the state the firing entered (``None`` for an internal
    transition): a state is entered at most once, which makes the intent's
    idempotency key deterministic whatever the delivery order.
    """

    name: EffectName
    trigger: Trigger
    entered: OrderState | None


def _may_ship(facts: Facts) -> bool:
    # Unknown flags (non-expanded events) count as "may ship": the dispatcher's
    # classifier decides, rather than this table guessing.
    return not facts.items or any(item.physical is not False for item in facts.items)


def _may_be_digital(facts: Facts) -> bool:
    return not facts.items or any(item.physical is not True for item in facts.items)


def _shows_payment_instructions(facts: Facts) -> bool:
    return facts.next_action == "show_payment_instructions"


HAS_PHYSICAL_ITEMS = Condition("physical items", _may_ship)
HAS_DIGITAL_ITEMS = Condition("digital items", _may_be_digital)
SHOWS_PAYMENT_INSTRUCTIONS = Condition("show_payment_instructions", _shows_payment_instructions)
