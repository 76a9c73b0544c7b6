"""Effects delivered: the host's handler registry and the outbox dispatcher.

The engine stores effect intents in the outbox with the state change; the
:class:`Dispatcher` hands each to the handler registered for its name in a
:class:`HandlerRegistry`, with its typed payload and idempotency key, retries
with backoff, and dead-letters what cannot succeed. Built-in handlers (JSON
lines, SMTP, HTTP) are in :mod:`orderfsm.adapters.handlers`.
"""

from orderfsm.dispatch.classifiers import (
    BUILT_IN_CLASSIFIERS,
    deliver_unflagged_digitally,
    ship_unflagged,
)
from orderfsm.dispatch.config import DispatchConfig
from orderfsm.dispatch.dispatcher import Dispatcher
from orderfsm.dispatch.registry import Classifier, Effect, Handler, HandlerRegistry
from orderfsm.dispatch.reports import Delivery, DeliveryResult, DispatchReport
from orderfsm.effects import (
    PAYLOAD_TYPES,
    Contact,
    DigitalDelivery,
    EffectItem,
    EffectPayload,
    FulfillmentCancellation,
    OrderBlocked,
    OrderCancelled,
    OrderConfirmation,
    PaymentFailed,
    PaymentInstructions,
    PaymentMethod,
    PostalAddress,
    ShipmentRequest,
)
from orderfsm.errors import PermanentEffectError

__all__ = [
    "BUILT_IN_CLASSIFIERS",
    "Classifier",
    "Contact",
    "Delivery",
    "DeliveryResult",
    "DigitalDelivery",
    "DispatchConfig",
    "DispatchReport",
    "Dispatcher",
    "Effect",
    "EffectItem",
    "EffectPayload",
    "FulfillmentCancellation",
    "Handler",
    "HandlerRegistry",
    "OrderBlocked",
    "OrderCancelled",
    "OrderConfirmation",
    "PAYLOAD_TYPES",
    "PaymentFailed",
    "PaymentInstructions",
    "PaymentMethod",
    "PermanentEffectError",
    "PostalAddress",
    "ShipmentRequest",
    "deliver_unflagged_digitally",
    "ship_unflagged",
]
