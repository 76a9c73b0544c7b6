"""DR's rules for one order: which step may follow which, and what each publishes.

:func:`walk` takes a :class:`~orderfsm.testing.model.HistoryPlan` through DR's
order step by step (refusing a step DR could not take where the order stands)
and yields a :class:`DrFact` for every webhook event DR sends, plus the 201
answer first. Facts carry what the payload's order object says: state, charge
states, fraud state, next action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from orderfsm.errors import InconsistentPlan
from orderfsm.testing.model import (
    DrStep,
    HistoryPlan,
    OrderShape,
    SourceFlow,
)

ANSWER_201 = "POST /orders 201"
"""The pseudo event type of the 201 answer among the facts."""

_CREATION_EVENT = {
    "pending_payment": "order.pending_payment",
    "in_review": "order.review_opened",
    "accepted": "order.accepted",
}
_FRAUD = {"in_review": "review_opened", "accepted": "passed", "blocked": "blocked"}
_NEXT_ACTION = {SourceFlow.REDIRECT: "redirect", SourceFlow.RECEIVER: "show_payment_instructions"}
_ENDED = ("cancelled", "failed")


@dataclass(slots=True)
class DrOrder:
    """DR's order as the model walks a plan: state, charges, fraud state, flags."""

    shape: OrderShape
    state: str
    charges: dict[str, str]
    fraud_state: str | None = None
    disputed: bool = False
    done: set[DrStep] = field(default_factory=set)

    @property
    def live_charges(self) -> list[str]:
        """Charges neither cancelled nor failed."""
        return [c for c, s in self.charges.items() if s not in _ENDED]


def charge_ids(shape: OrderShape) -> tuple[str, ...]:
    """The ids of the order's charges."""
    return tuple(f"ch-{n}" for n in range(1, shape.charges + 1))


def allowed_steps(order: DrOrder) -> tuple[DrStep, ...]:
    """What DR may do next, most natural first (strategies shrink toward the first)."""
    s, done = order.state, order.done
    once = [step for step in (DrStep.INVOICE,) if step not in done]
    if s == "pending_payment":
        if DrStep.FAIL_CHARGE in done:
            return (DrStep.CANCEL,)
        steps = [DrStep.ACCEPT, DrStep.OPEN_REVIEW, DrStep.CANCEL]
        if order.shape.flow is not SourceFlow.RECEIVER:
            steps.append(DrStep.FAIL_CHARGE)
        return tuple(steps)
    if s == "in_review":
        return (DrStep.ACCEPT, DrStep.BLOCK)
    if s == "accepted":
        steps = [DrStep.FULFIL]
        steps += [x for x in (DrStep.CREATE_FULFILLMENT, DrStep.CAPTURE) if x not in done]
        if not done & {DrStep.CREATE_FULFILLMENT, DrStep.CAPTURE}:
            steps.append(DrStep.CANCEL)
            if len(order.live_charges) > 1:
                steps.append(DrStep.CANCEL_ONE_CHARGE)
        return tuple(steps + once)
    if s == "fulfilled":
        steps = [DrStep.COMPLETE, *([DrStep.CAPTURE] if DrStep.CAPTURE not in done else [])]
        return (*steps, DrStep.REFUND, *once)
    if s == "complete":
        if order.disputed:
            return (DrStep.RESOLVE_DISPUTE,)
        dispute = [DrStep.OPEN_DISPUTE] if DrStep.OPEN_DISPUTE not in done else []
        return (*dispute, DrStep.REFUND, *once)
    return ()


@dataclass(frozen=True, slots=True)
class DrFact:
    """One thing DR published: a webhook event or the 201 answer.

    ``dr_state``, ``charges`` and ``fraud_state`` describe the order object the
    payload carries (``dr_state`` is ``None`` for charge and not-relevant events).
    """

    event_type: str
    dr_state: str | None
    charges: tuple[tuple[str, str], ...]
    fraud_state: str | None
    charge_id: str | None = None
    next_action: str | None = None
    step: DrStep | None = None


def start(plan: HistoryPlan) -> DrOrder:
    """DR's order at creation (raises for a plan whose answer made no order)."""
    if plan.created_in is None:
        raise InconsistentPlan(f"{plan.answer.value} creates no DR order")
    shape = plan.shape
    ids = charge_ids(shape)
    if plan.created_in == "pending_payment":
        charges = {} if shape.flow is SourceFlow.RECEIVER else dict.fromkeys(ids, "pending")
    elif plan.created_in == "in_review":
        charges = dict.fromkeys(ids, "pending")
    else:
        charges = dict.fromkeys(ids, "capturable")
    return DrOrder(shape, plan.created_in, charges, _FRAUD.get(plan.created_in))


def walk(plan: HistoryPlan) -> Iterator[DrFact]:
    """The facts DR publishes for ``plan``, in DR's order (the 201 answer first).

    Raises :class:`~orderfsm.testing.model.InconsistentPlan` at the first step
    DR could not take, or when ``plan`` made no DR order.
    """
    order = start(plan)
    yield _order_fact(order, ANSWER_201)
    yield _order_fact(order, _CREATION_EVENT[order.state])
    for step in plan.steps:
        yield from advance(order, step)


def advance(order: DrOrder, step: DrStep) -> tuple[DrFact, ...]:
    """Take ``step`` on DR's ``order``; the facts DR publishes for it."""
    if step not in allowed_steps(order):
        raise InconsistentPlan(f"DR does not {step.value} an order in {order.state}")
    order.done.add(step)
    return tuple(_take(order, step))


def dr_facts(plan: HistoryPlan) -> tuple[DrFact, ...]:
    """Every fact of ``plan`` (empty when no DR order exists)."""
    return tuple(walk(plan)) if plan.answer.creates_order else ()


def _order_fact(order: DrOrder, event_type: str, step: DrStep | None = None) -> DrFact:
    shown = "dispute" if order.disputed and event_type == "order.dispute" else order.state
    if step is DrStep.RESOLVE_DISPUTE:
        shown = "accepted"  # DR's real order.dispute.resolved payload says so
    action = _NEXT_ACTION.get(order.shape.flow) if order.state == "pending_payment" else None
    return DrFact(
        event_type,
        shown,
        tuple(order.charges.items()),
        order.fraud_state,
        next_action=action,
        step=step,
    )


def _charge_fact(order: DrOrder, event_type: str, charge: str, step: DrStep) -> DrFact:
    return DrFact(event_type, None, tuple(order.charges.items()), None, charge_id=charge, step=step)


def _take(order: DrOrder, step: DrStep) -> Iterator[DrFact]:
    ids = charge_ids(order.shape)
    if step is DrStep.OPEN_REVIEW or step is DrStep.ACCEPT:
        order.state = "in_review" if step is DrStep.OPEN_REVIEW else "accepted"
        ready = "pending" if step is DrStep.OPEN_REVIEW else "capturable"
        order.charges = {c: ready for c in (order.charges or dict.fromkeys(ids))}
        order.fraud_state = _FRAUD[order.state]
        event = "order.review_opened" if step is DrStep.OPEN_REVIEW else "order.accepted"
        yield _order_fact(order, event, step)
    elif step is DrStep.BLOCK:
        order.state, order.fraud_state = "blocked", "blocked"
        yield _order_fact(order, "order.blocked", step)
        for charge in order.live_charges:
            order.charges[charge] = "cancelled"
            yield _charge_fact(order, "order.charge.cancel.complete", charge, step)
    elif step is DrStep.FAIL_CHARGE:
        order.charges[order.live_charges[0]] = "failed"
        yield _order_fact(order, "order.charge.failed", step)
    elif step is DrStep.CANCEL or step is DrStep.CANCEL_ONE_CHARGE:
        live = order.live_charges
        for charge in live[-1:] if step is DrStep.CANCEL_ONE_CHARGE else live:
            order.charges[charge] = "cancelled"
            yield _charge_fact(order, "order.charge.cancel.complete", charge, step)
        if step is DrStep.CANCEL:
            order.state = "cancelled"
            yield _order_fact(order, "order.cancelled", step)
    elif step is DrStep.CREATE_FULFILLMENT:
        yield _order_fact(order, "fulfillment.created", step)
    elif step is DrStep.CAPTURE:
        for charge in order.live_charges:
            order.charges[charge] = "complete"
            yield _charge_fact(order, "order.charge.capture.complete", charge, step)
    elif step is DrStep.FULFIL:
        order.state = "fulfilled"
        for charge in order.live_charges:
            if order.charges[charge] != "complete":
                order.charges[charge] = "processing"
        yield _order_fact(order, "order.fulfilled", step)
    elif step is DrStep.COMPLETE:
        order.state, order.fraud_state = "complete", None  # absent on complete orders
        for charge in order.live_charges:
            order.charges[charge] = "complete"
        yield _order_fact(order, "order.complete", step)
    elif step is DrStep.OPEN_DISPUTE:
        order.disputed = True
        yield _order_fact(order, "order.dispute", step)
    elif step is DrStep.RESOLVE_DISPUTE:
        order.disputed = False
        yield _order_fact(order, "order.dispute.resolved", step)
    elif step is DrStep.REFUND:
        order.state = "returned"
        yield _order_fact(order, "order.refunded", step)
        for charge in order.live_charges:
            yield _charge_fact(order, "order.charge.refund.complete", charge, step)
    elif step is DrStep.INVOICE:
        yield DrFact("order.invoice.created", None, (), None, step=step)
