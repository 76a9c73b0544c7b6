"""THE table that says what a Digital River signal means for the order lifecycle.

Two kinds of signal reach orderfsm: the answer to ``POST /orders`` and webhook
events. The tables below are the only place that decides which trigger each
asks for; nothing else in orderfsm repeats them. An event type missing from
:data:`EVENT_TABLE` (subscriptions, invoices, credit memos, returns,
``refund.*``, capture pending, reauthorization, types DR adds later) maps to
:class:`~orderfsm.fsm.signals.NotRelevant`: acknowledged and recorded, never
acted on, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from orderfsm.adapters.digitalriver.customer_text import failed_charge_text, payment_refusal_text
from orderfsm.adapters.digitalriver.models import Event
from orderfsm.adapters.digitalriver.models_order import Order, OrderCharge
from orderfsm.adapters.digitalriver.models_other import Charge, Fulfillment
from orderfsm.adapters.digitalriver.parse import (
    ParsedJson,
    RawPayload,
    parse_error_body,
    parse_event,
    parse_event_object,
    parse_order,
)
from orderfsm.adapters.digitalriver.snapshot import CheckedSnapshot, remember_order
from orderfsm.errors import PayloadError
from orderfsm.fsm.outcomes import SignalOrigin
from orderfsm.fsm.signals import ChargeFact, Facts, ItemFact, NotRelevant, Signal
from orderfsm.fsm.states import Trigger

T = Trigger
R = TypeVar("R")

NOT_RELEVANT_REASON = "not relevant to the order lifecycle"


@dataclass(frozen=True, slots=True)
class EventMeaning:
    """What one event type asks for, and which DR object its ``data.object`` is."""

    trigger: Trigger
    carries: type[Order] | type[Charge] | type[Fulfillment]


EVENT_TABLE: Mapping[str, EventMeaning] = MappingProxyType(
    {
        # Early lifecycle: every integration handles these.
        "order.pending_payment": EventMeaning(T.AWAIT_PAYMENT, Order),
        "order.review_opened": EventMeaning(T.OPEN_REVIEW, Order),
        "order.accepted": EventMeaning(T.ACCEPT, Order),
        "order.blocked": EventMeaning(T.BLOCK, Order),
        "order.cancelled": EventMeaning(T.CANCEL, Order),
        "order.charge.failed": EventMeaning(T.FAIL_CHARGE, Order),
        # Low-code checkouts: DR made the order; data.object is that order.
        "checkout_session.order.created": EventMeaning(T.LINK_DR_ORDER, Order),
        # Fulfilment side.
        "fulfillment.created": EventMeaning(T.RECORD_FULFILLMENT, Fulfillment),
        "order.fulfilled": EventMeaning(T.FULFIL, Order),
        "order.charge.capture.complete": EventMeaning(T.RECORD_CHARGE_CAPTURED, Charge),
        "order.charge.capture.failed": EventMeaning(T.RECORD_CAPTURE_FAILED, Charge),
        "order.charge.cancel.complete": EventMeaning(T.RECORD_CHARGE_CANCELLED, Charge),
        "order.complete": EventMeaning(T.COMPLETE, Order),
        "order.refunded": EventMeaning(T.RETURN, Order),
        "order.charge.refund.complete": EventMeaning(T.RECORD_REFUND, Charge),
        # Disputes: a flag over the state, not a state.
        "order.dispute": EventMeaning(T.OPEN_DISPUTE, Order),
        "order.dispute.resolved": EventMeaning(T.RESOLVE_DISPUTE, Order),
    }
)
"""Every event type the lifecycle acts on; any other type is not relevant."""

CREATED_ORDER_STATES: Mapping[str, Trigger] = MappingProxyType(
    {
        "pending_payment": T.AWAIT_PAYMENT,
        "in_review": T.OPEN_REVIEW,
        "accepted": T.ACCEPT,
    }
)
"""A ``201`` answer to ``POST /orders``, by the order ``state`` it reports."""

CONFLICT_CODES: Mapping[str, Trigger] = MappingProxyType({"order-fraud-failure": T.BLOCK})
"""A ``409`` answer by error code; every other code is a payment failure."""

CONFLICT_DEFAULT = T.REJECT_PAYMENT
"""A ``409`` whose codes are not in :data:`CONFLICT_CODES` (``failed-request``, ...)."""

ERROR_STATUSES: Mapping[int, Trigger] = MappingProxyType(
    {
        404: T.NOTE_CHECKOUT_CONSUMED,  # an earlier POST /orders already made the order
        400: T.NOTE_CHECKOUT_INCOMPLETE,  # fix the checkout and resubmit it
    }
)
"""Other answers to ``POST /orders`` orderfsm reads; any status not listed is refused."""

_CREATED = 201
_CONFLICT = 409
_FRAUD_BLOCKED = "blocked"


def map_event(event: Event) -> Signal | NotRelevant:
    """The signal a webhook event stands for, or why it is not relevant.

    Raises :class:`~orderfsm.errors.PayloadError` when ``data.object`` is not
    the object the event type carries (problems are under ``data.object``).
    """
    meaning = EVENT_TABLE.get(event.type)
    if meaning is None:
        return NotRelevant(event.type, event.id, NOT_RELEVANT_REASON)
    carried = parse_event_object(event, meaning.carries)
    if isinstance(carried, Charge):
        return _webhook_signal(
            event, meaning.trigger, dr_order_id=carried.order_id, charge=_charge_fact(carried)
        )
    if isinstance(carried, Fulfillment):
        # orderDetails is the order as it stood when the fulfillment was made; the
        # order.* events speak for its state. No facts, so the stored order snapshot
        # is never replaced by a fulfillment object; the ids still link the order.
        order = carried.order_details
        return _webhook_signal(
            event,
            meaning.trigger,
            dr_order_id=carried.order_id,
            checkout_id=order.checkout_id if order else None,
            upstream_id=order.upstream_id if order else None,
        )
    snapshot = CheckedSnapshot(event.data.object)
    remember_order(snapshot, carried)  # the snapshot its effects are built from
    charge: ChargeFact | None = None
    customer_message: str | None = None
    if meaning.trigger is T.FAIL_CHARGE:
        failed = [c for c in carried.payment.charges if c.state == "failed"]
        charge = _charge_fact(failed[0]) if failed else None
        customer_message = failed_charge_text(carried.payment.charges)
    return _webhook_signal(
        event,
        meaning.trigger,
        dr_order_id=carried.id,
        checkout_id=carried.checkout_id,
        upstream_id=carried.upstream_id,
        facts=facts_of(carried),
        charge=charge,
        customer_message=customer_message,
        snapshot=snapshot,
    )


def signal_from_body(raw: RawPayload) -> Signal | NotRelevant:
    """Read a webhook body and map it: :func:`~.parse.parse_event` then :func:`map_event`."""
    return map_event(parse_event(raw))


def map_create_order_response(
    status: int,
    body: Mapping[str, Any] | ParsedJson,
    *,
    upstream_id: str,
    checkout_id: str | None,
) -> Signal:
    """The signal DR's answer to ``POST /orders`` stands for.

    ``body`` is the answer's JSON object, wrapped in :class:`~.parse.ParsedJson`
    when the adapter's parser decoded it from text (it is then checked for the
    input limits as the text would be, not walked whole).
    ``checkout_id`` is the checkout that was submitted, when the caller knows
    it; a ``201`` body naming another checkout is refused. Raises
    :class:`~orderfsm.errors.PayloadError` for a body that cannot be read, a
    ``201`` reporting a state an order cannot be created in, or a status
    orderfsm does not read (5xx and the like are transport failures: retry).
    """
    event_type = f"POST /orders {status}"
    value = body.value if isinstance(body, ParsedJson) else body
    if status == _CREATED:
        order = _read(parse_order, body, event_type)
        trigger = CREATED_ORDER_STATES.get(order.state)
        if trigger is None:
            expected = ", ".join(CREATED_ORDER_STATES)
            raise PayloadError(
                [f"state: an order cannot be created in state {order.state!r} ({expected})"],
                event_type=event_type,
            )
        if checkout_id and order.checkout_id and order.checkout_id != checkout_id:
            raise PayloadError(
                [
                    f"checkoutId: the answer is for checkout {order.checkout_id!r}, "
                    f"not the submitted {checkout_id!r}"
                ],
                event_type=event_type,
            )
        snapshot = CheckedSnapshot(value)
        remember_order(snapshot, order)
        return Signal(
            trigger,
            SignalOrigin.CREATE_ORDER_RESPONSE,
            event_type,
            dr_time=order.state_transitions.get(order.state),
            dr_order_id=order.id,
            checkout_id=order.checkout_id or checkout_id,
            upstream_id=upstream_id,
            facts=facts_of(order),
            snapshot=snapshot,
        )
    if status == _CONFLICT:
        errors = _read(parse_error_body, body, event_type)
        blocking = [CONFLICT_CODES[code] for code in errors.codes if code in CONFLICT_CODES]
        if blocking:
            return Signal(
                blocking[0],
                SignalOrigin.CREATE_ORDER_RESPONSE,
                event_type,
                checkout_id=checkout_id,
                upstream_id=upstream_id,
                facts=Facts(fraud_state=_FRAUD_BLOCKED),
                snapshot=dict(value),
            )
        return Signal(
            CONFLICT_DEFAULT,
            SignalOrigin.CREATE_ORDER_RESPONSE,
            event_type,
            checkout_id=checkout_id,
            upstream_id=upstream_id,
            customer_message=payment_refusal_text(errors),
            snapshot=dict(value),
        )
    trigger = ERROR_STATUSES.get(status)
    if trigger is None:
        readable = ", ".join(str(s) for s in (_CREATED, _CONFLICT, *ERROR_STATUSES))
        raise PayloadError(
            [f"status: orderfsm reads only {readable} answers to POST /orders, not {status}"],
            event_type=event_type,
        )
    _read(parse_error_body, body, event_type)
    return Signal(
        trigger,
        SignalOrigin.CREATE_ORDER_RESPONSE,
        event_type,
        checkout_id=checkout_id,
        upstream_id=upstream_id,
        snapshot=dict(value),
    )


def facts_of(order: Order) -> Facts:
    """The parts of a DR order that guards and effects decide on."""
    return Facts(
        dr_state=order.state,
        fraud_state=order.fraud_state,
        charges=tuple(_charge_fact(charge) for charge in order.payment.charges),
        next_action=order.next_action,
        items=tuple(ItemFact(item.id, item.physical) for item in order.items),
        state_times=dict(order.state_transitions),
    )


def _charge_fact(charge: OrderCharge) -> ChargeFact:
    return ChargeFact(charge.id, charge.state)


def _webhook_signal(
    event: Event,
    trigger: Trigger,
    *,
    dr_order_id: str,
    checkout_id: str | None = None,
    upstream_id: str | None = None,
    facts: Facts | None = None,
    charge: ChargeFact | None = None,
    customer_message: str | None = None,
    snapshot: Mapping[str, Any] | None = None,
) -> Signal:
    return Signal(
        trigger,
        SignalOrigin.WEBHOOK,
        event.type,
        event_id=event.id,
        dr_time=event.created_time,
        dr_order_id=dr_order_id,
        checkout_id=checkout_id,
        upstream_id=upstream_id,
        facts=facts if facts is not None else Facts(),
        charge=charge,
        customer_message=customer_message,
        snapshot=event.data.object if snapshot is None else snapshot,
    )


def _read(reader: Callable[[RawPayload], R], body: RawPayload, event_type: str) -> R:
    """Run a reader on an API answer, naming the answer in any PayloadError."""
    try:
        return reader(body)
    except PayloadError as exc:
        raise PayloadError(exc.problems, event_type=event_type) from exc
