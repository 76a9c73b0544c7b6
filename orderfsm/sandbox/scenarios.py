"""How a sandbox checkout behaves when it is turned into an order: DR's paths, as data.

A scenario either refuses the order (``409`` payment failure or fraud block,
``400`` incomplete checkout: no order is made, the checkout stays usable for
a 400) or names the states the order goes through, the first being the one
the ``201`` answer reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Scenario(StrEnum):
    """A checkout's fate; the value is what tests and ``--faults``-free demos name."""

    ACCEPTED = "accepted"
    PENDING_THEN_ACCEPTED = "pending_then_accepted"
    REVIEW_THEN_ACCEPTED = "review_then_accepted"
    REVIEW_THEN_BLOCKED = "review_then_blocked"
    PAYMENT_FAILED = "payment_failed"
    FRAUD_BLOCKED = "fraud_blocked"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A ``POST /orders`` answer that makes no order."""

    status: int
    body: Mapping[str, Any]
    consumes_checkout: bool
    """After a 409 the shopper needs a new checkout; after a 400 the same one is fixed."""


@dataclass(frozen=True, slots=True)
class ScenarioPlan:
    """What a scenario does: refuse, or walk these DR order states."""

    states: tuple[str, ...] = ()
    refusal: Refusal | None = None


def _error(kind: str, code: str, message: str) -> dict[str, Any]:
    return {"type": kind, "errors": [{"code": code, "message": message}]}


PLANS: Mapping[Scenario, ScenarioPlan] = MappingProxyType(
    {
        Scenario.ACCEPTED: ScenarioPlan(("accepted",)),
        Scenario.PENDING_THEN_ACCEPTED: ScenarioPlan(("pending_payment", "accepted")),
        Scenario.REVIEW_THEN_ACCEPTED: ScenarioPlan(("in_review", "accepted")),
        Scenario.REVIEW_THEN_BLOCKED: ScenarioPlan(("in_review", "blocked")),
        Scenario.PAYMENT_FAILED: ScenarioPlan(
            refusal=Refusal(
                409, _error("conflict", "failed-request", "Failed to charge source."), True
            )
        ),
        Scenario.FRAUD_BLOCKED: ScenarioPlan(
            refusal=Refusal(
                409,
                _error("conflict", "order-fraud-failure", "The order could not be completed."),
                True,
            )
        ),
        Scenario.INCOMPLETE: ScenarioPlan(
            refusal=Refusal(
                400,
                _error("bad_request", "order_submit_failed", "Payment session status is invalid."),
                False,
            )
        ),
    }
)
"""Every scenario's plan (checked complete by the tests)."""

STATE_EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "pending_payment": "order.pending_payment",
        "in_review": "order.review_opened",
        "accepted": "order.accepted",
        "blocked": "order.blocked",
        "cancelled": "order.cancelled",
        "fulfilled": "order.fulfilled",
        "complete": "order.complete",
    }
)
"""The event DR sends when an order reaches each state."""

CHARGE_STATES: Mapping[str, str] = MappingProxyType(
    {
        "pending_payment": "pending",
        "in_review": "capturable",
        "accepted": "capturable",
        "blocked": "cancelled",
        "cancelled": "cancelled",
        "fulfilled": "capturable",
        "complete": "complete",
    }
)
"""The charge state that goes with each order state (one charge per sandbox order)."""

FRAUD_STATES: Mapping[str, str] = MappingProxyType(
    {"in_review": "review_opened", "accepted": "passed", "blocked": "blocked"}
)
"""``fraudState`` per order state; absent elsewhere, as on DR's complete orders."""


def scenario_for(checkout_id: str, default: Scenario) -> Scenario:
    """The scenario an unknown checkout gets: named by its id's prefix, else ``default``.

    ``review_then_blocked-42`` behaves as :attr:`Scenario.REVIEW_THEN_BLOCKED`,
    so a demo can pick a fate without the control API.
    """
    for scenario in sorted(Scenario, key=len, reverse=True):
        if checkout_id.startswith(f"{scenario.value}-"):
            return scenario
    return default
