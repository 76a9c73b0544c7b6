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
report again; DR's ``409 item_fulfilled`` (or ``item_cancelled``) then
marks it done, so DR records the fulfilment once.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from orderfsm.adapters.digitalriver.client import FULFILLMENT_DONE_CODES, DrClient
from orderfsm.adapters.digitalriver.models_api import FulfillmentLine, FulfillmentRequest
from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.effects import FulfillmentReported
from orderfsm.errors import (
    ConfigurationError,
    DrAnswerInvalid,
    DrApiError,
    DrRequestRejected,
    EffectDeliveryError,
    PermanentEffectError,
)
from orderfsm.fsm.effects import EffectName

log = logging.getLogger(__name__)


class DrFulfilmentHandler:
    """Delivers ``report_fulfillment`` effects with ``POST /fulfillments`` through a DR client."""

    def __init__(self, client: DrClient) -> None:
        self.client = client

    def register(self, registry: HandlerRegistry) -> None:
        """Make this handler the one of ``report_fulfillment``."""
        registry.register(EffectName.REPORT_FULFILLMENT, self)

    def __call__(self, effect: Effect[Any]) -> None:
        """Report ``effect`` to DR; return when DR has it (now or before), raise otherwise."""
        request = fulfillment_request(effect.payload)
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


def is_already_done(rejected: DrRequestRejected) -> bool:
    """True for a ``409`` all of whose codes say the items were fulfilled or cancelled before."""
    return (
        rejected.status == httpx.codes.CONFLICT
        and bool(rejected.codes)
        and set(rejected.codes) <= FULFILLMENT_DONE_CODES
    )


def fulfillment_request(payload: FulfillmentReported) -> FulfillmentRequest:
    """The ``POST /fulfillments`` body of a ``report_fulfillment`` payload (dead if it has none)."""
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
        )
    except ConfigurationError as exc:
        raise PermanentEffectError(str(exc)) from exc
