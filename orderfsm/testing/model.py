"""A pure model of Digital River's real lifecycle for one order.

A :class:`HistoryPlan` says, in a few small choices, what happened at DR: how
``POST /orders`` was answered (and whether that answer reached the platform),
the state DR created the order in, and the steps (:class:`DrStep`) DR took
afterwards. ``walk`` holds DR's rules (which step may follow which) and expands
a plan into the facts DR published; ``history`` renders those as DR payloads;
``expectations`` says what the platform's order must end as.

No hypothesis and no I/O here, so backends can build plans by hand for their
own regression tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from orderfsm.errors import InconsistentPlan
from orderfsm.fsm.states import OrderState


class ItemKind(StrEnum):
    """What an order line is; ``unknown`` lines never state ``productDetails.physical``."""

    PHYSICAL = "physical"
    DIGITAL = "digital"
    UNKNOWN = "unknown"

    @property
    def physical(self) -> bool | None:
        """The flag DR states for this line when it states one."""
        return {ItemKind.PHYSICAL: True, ItemKind.DIGITAL: False}.get(self)


class SourceFlow(StrEnum):
    """How the shopper pays (the payment source's ``flow``)."""

    STANDARD = "standard"
    """A card: authorized at once, no action asked of the shopper."""
    REDIRECT = "redirect"
    """PayPal and the like: while pending, DR asks to redirect the shopper."""
    RECEIVER = "receiver"
    """Wire transfer and the like: DR shows payment instructions; no charge until funds arrive."""


class Answer(StrEnum):
    """What the platform got back from ``POST /orders``."""

    CREATED = "201"
    """201: the order, in the state DR created it in."""
    LOST = "lost"
    """DR created the order but its 201 never reached the platform."""
    CONSUMED = "404"
    """The 201 was lost; the platform's retry got 404 (checkout already consumed)."""
    PAYMENT_REFUSED = "409 payment"
    """409 ``failed-request``: no DR order, the payment failed."""
    FRAUD_REFUSED = "409 fraud"
    """409 ``order-fraud-failure``: no DR order, fraud blocked it."""
    INCOMPLETE = "400"
    """400: the checkout is incomplete and the shopper gave up; no DR order."""

    @property
    def creates_order(self) -> bool:
        """True when a DR order exists behind this answer."""
        return self in (Answer.CREATED, Answer.LOST, Answer.CONSUMED)


class DrStep(StrEnum):
    """One thing DR does to an existing order; each publishes its webhook events."""

    OPEN_REVIEW = "open_review"
    """``order.review_opened``: funds authorized, secondary fraud review."""
    ACCEPT = "accept"
    """``order.accepted``: every charge authorized, fraud review passed."""
    BLOCK = "block"
    """``order.blocked``, then ``order.charge.cancel.complete`` for each charge."""
    FAIL_CHARGE = "fail_charge"
    """``order.charge.failed``: a pending charge failed; only cancellation follows."""
    CANCEL = "cancel"
    """``order.charge.cancel.complete`` for each live charge, then ``order.cancelled``."""
    CANCEL_ONE_CHARGE = "cancel_one_charge"
    """``order.charge.cancel.complete`` for one of several charges; the order goes on."""
    CREATE_FULFILLMENT = "create_fulfillment"
    """``fulfillment.created``."""
    CAPTURE = "capture"
    """``order.charge.capture.complete`` for each live charge."""
    FULFIL = "fulfil"
    """``order.fulfilled``."""
    COMPLETE = "complete"
    """``order.complete``: fulfilled and captured."""
    OPEN_DISPUTE = "open_dispute"
    """``order.dispute``: a charge is disputed (the order's ``state`` reads ``dispute``)."""
    RESOLVE_DISPUTE = "resolve_dispute"
    """``order.dispute.resolved``: DR's payload then reads ``state: accepted``."""
    REFUND = "refund"
    """``order.refunded``, then ``order.charge.refund.complete`` for each captured charge."""
    INVOICE = "invoice"
    """``order.invoice.created``: not relevant to the lifecycle, acknowledged only."""


CREATION_STATES: dict[SourceFlow, tuple[str, ...]] = {
    SourceFlow.STANDARD: ("accepted", "in_review", "pending_payment"),
    SourceFlow.REDIRECT: ("pending_payment", "accepted"),
    SourceFlow.RECEIVER: ("pending_payment",),
}
"""The states DR creates an order in, per payment flow (most common first)."""

STATE_WITHOUT_DR_ORDER = {
    Answer.PAYMENT_REFUSED: OrderState.REJECTED,
    Answer.FRAUD_REFUSED: OrderState.BLOCKED,
    Answer.INCOMPLETE: OrderState.SUBMITTED,
}
"""Where the platform's order ends when ``POST /orders`` made no DR order."""


@dataclass(frozen=True, slots=True)
class OrderShape:
    """What an order is made of, and which optional fields DR's payloads carry."""

    items: tuple[ItemKind, ...] = (ItemKind.PHYSICAL,)
    charges: int = 1
    flow: SourceFlow = SourceFlow.STANDARD
    expanded: bool = False
    """Expanded events (order.accepted, order.cancelled, order.refunded,
    fulfillment.created) state ``productDetails.physical``."""
    upstream_id_at_dr: bool = True
    """DR's order carries ``upstreamId`` (set on the checkout)."""

    def __repr__(self) -> str:
        return _call(self, OrderShape())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints counterexamples with this


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """DR's side of one order, as small choices a strategy can shrink."""

    shape: OrderShape = field(default_factory=OrderShape)
    answer: Answer = Answer.CREATED
    created_in: str | None = "accepted"
    """DR's state at creation (``None`` when ``answer`` made no DR order)."""
    steps: tuple[DrStep, ...] = ()
    after_incomplete: bool = False
    """The checkout was first answered 400, fixed, then resubmitted."""

    def __post_init__(self) -> None:
        shape = self.shape
        if not shape.items or shape.charges < 1:
            raise InconsistentPlan("an order has at least one item and one charge")
        if self.answer.creates_order:
            if self.created_in not in CREATION_STATES[shape.flow]:
                raise InconsistentPlan(
                    f"DR does not create a {shape.flow.value} order in {self.created_in!r}"
                )
        elif self.created_in is not None or self.steps:
            raise InconsistentPlan(f"{self.answer.value} creates no DR order: nothing follows")
        if self.answer is Answer.INCOMPLETE and self.after_incomplete:
            raise InconsistentPlan("a 400 after a 400 is the same abandoned checkout")

    def __repr__(self) -> str:
        return _call(self, HistoryPlan())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints counterexamples with this


def _show(value: object) -> str:
    if isinstance(value, StrEnum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, tuple):
        inner = ", ".join(_show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _call(value: OrderShape | HistoryPlan, default: OrderShape | HistoryPlan) -> str:
    """``value`` as the shortest constructor call that rebuilds it (non-default fields only)."""
    args = [
        f"{name}={_show(getattr(value, name))}"
        for name in value.__dataclass_fields__
        if getattr(value, name) != getattr(default, name)
    ]
    return f"{type(value).__name__}({', '.join(args)})"
