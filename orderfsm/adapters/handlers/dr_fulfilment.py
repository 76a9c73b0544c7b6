"""The built-in ``report_fulfillment`` handler: ``POST /fulfillments`` to Digital River.

DR has no idempotency key for fulfilments, so exactly once rests on two
halves: the outbox hands each report to this handler until it is marked done,
and DR answers a report it already has with a ``409`` whose code says the work
is done. The answer decides:

====================================================  ==========================
answer                                                result
====================================================  ==========================
201                                                   done
409 with only codes of ``FULFILLMENT_DONE_CODES``     done (DR has it already)
``quantity_too_large`` and any other 4xx              dead, with DR's message
429, 5xx, timeout, no answer                          retried by the dispatcher
====================================================  ==========================

A crash between DR's 201 and the outbox marking the effect done sends the
report again. For a report that leaves nothing open, DR's ``409
item_fulfilled`` (or ``item_cancelled``) then marks it done. A *partial*
report DR would count again (``201`` for the quantity still open), so every
report carries its effect key in DR's ``metadata`` (:data:`REPORT_KEY`), and
before a resend (``attempt > 1``: a retry, or a claim a crash cut short) the
handler asks DR. ``GET /orders/{id}`` first: when every reported item is
still ``created`` at DR, nothing was done for them and the report is sent.
Otherwise DR's order cannot tell (it shows each item's state, not how many
were fulfilled or cancelled), so DR's ``fulfillment.created`` events since the
order was created (``GET /events``, at most ``lookback``) are searched for one
with the report's key: found, the report is done without a second ``POST``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from orderfsm.adapters.digitalriver.client import FULFILLMENT_DONE_CODES, DrClient
from orderfsm.adapters.digitalriver.models_api import (
    EVENT_RETENTION,
    FulfillmentLine,
    FulfillmentRequest,
)
from orderfsm.adapters.digitalriver.models_other import Fulfillment
from orderfsm.adapters.digitalriver.parse import parse_event_object
from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.effects import FulfillmentReported
from orderfsm.errors import (
    ConfigurationError,
    DrAnswerInvalid,
    DrApiError,
    DrRequestRejected,
    EffectDeliveryError,
    PayloadError,
    PermanentEffectError,
)
from orderfsm.fsm.effects import EffectName

log = logging.getLogger(__name__)


REPORT_KEY = "orderfsmReport"
"""The ``metadata`` key of a fulfillment that holds the effect key of the report it came from."""

FULFILLMENT_CREATED = "fulfillment.created"
_MARGIN = timedelta(minutes=1)
UNTOUCHED_ITEM = "created"
"""DR's state of an order item nothing was fulfilled or cancelled of yet."""


class DrFulfilmentHandler:
    """Delivers ``report_fulfillment`` effects with ``POST /fulfillments`` through a DR client."""

    def __init__(
        self,
        client: DrClient,
        *,
        lookback: timedelta = EVENT_RETENTION,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.lookback = lookback
        """How far back a resend looks for the fulfillment an earlier attempt made."""
        self._clock = clock

    def register(self, registry: HandlerRegistry) -> None:
        """Make this handler the one of ``report_fulfillment``."""
        registry.register(EffectName.REPORT_FULFILLMENT, self)

    def __call__(self, effect: Effect[Any]) -> None:
        """Report ``effect`` to DR; return when DR has it (now or before), raise otherwise."""
        request = fulfillment_request(effect.payload, report_key=effect.key)
        if effect.attempt > 1 and self.dr_holds(request, effect.key):
            log.info("%s: DR holds this fulfilment from an earlier attempt", effect.key)
            return
        try:
            self.client.create_fulfillment(request)
        except DrRequestRejected as exc:
            if is_already_done(exc):
                log.info("%s: DR has this fulfilment already (%s)", effect.key, exc.codes)
                return
            raise PermanentEffectError(str(exc)) from exc
        except DrAnswerInvalid:
            # DR answered 201: the fulfilment exists; only its echo was unreadable.
            log.warning("%s: DR created the fulfilment; its answer could not be read", effect.key)
        except DrApiError as exc:  # unreachable, 5xx, rate limited: try again later
            raise EffectDeliveryError(str(exc)) from exc

    def dr_holds(self, request: FulfillmentRequest, report_key: str) -> bool:
        """Whether DR made a fulfillment of ``request``'s order for the report ``report_key``."""
        order_id = request.order_id
        reported = {line.item_id for line in request.items}
        since = self._clock() - self.lookback
        try:
            order = self.client.get_order(order_id).model
            states = [item.state for item in order.items if item.id in reported]
            if len(states) == len(reported) and set(states) == {UNTOUCHED_ITEM}:
                return False
            # No fulfilment of the order predates the order (a minute's margin for rounding).
            known = [t for t in (order.created_time, *order.state_transitions.values()) if t]
            if known:
                since = max(since, min(known) - _MARGIN)
            for received in self.client.iter_events(
                created_after=since, types=(FULFILLMENT_CREATED,)
            ):
                made = parse_event_object(received.model, Fulfillment)
                if made.order_id == order_id and made.metadata.get(REPORT_KEY) == report_key:
                    return True
        except (DrApiError, PayloadError) as exc:  # cannot tell now: resending could double it
            raise EffectDeliveryError(f"looking for an earlier fulfilment: {exc}") from exc
        return False


def is_already_done(rejected: DrRequestRejected) -> bool:
    """True for a ``409`` all of whose codes say the items were fulfilled or cancelled before."""
    return (
        rejected.status == httpx.codes.CONFLICT
        and bool(rejected.codes)
        and set(rejected.codes) <= FULFILLMENT_DONE_CODES
    )


def fulfillment_request(
    payload: FulfillmentReported, *, report_key: str | None = None
) -> FulfillmentRequest:
    """The ``POST /fulfillments`` body of a ``report_fulfillment`` payload (dead if it has none).

    ``report_key`` (the effect key) goes into DR's ``metadata`` as :data:`REPORT_KEY`.
    """
    if not payload.order_id:
        raise PermanentEffectError(
            f"order {payload.upstream_id} has no DR order id to report a fulfilment for"
        )
    try:
        return FulfillmentRequest(
            order_id=payload.order_id,
            items=tuple(
                FulfillmentLine(line.item_id, line.quantity, line.cancel_quantity)
                for line in payload.items
            ),
            tracking_company=payload.tracking_company,
            tracking_number=payload.tracking_number,
            tracking_url=payload.tracking_url,
            metadata={REPORT_KEY: report_key} if report_key else {},
        )
    except ConfigurationError as exc:
        raise PermanentEffectError(str(exc)) from exc
