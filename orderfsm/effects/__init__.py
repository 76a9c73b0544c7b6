"""Effect payloads: what a handler receives for each effect of the lifecycle.

Handlers (the host's, and the built-in ones in :mod:`orderfsm.adapters.handlers`)
and the dispatcher meet here. This package knows the effect vocabulary
(:class:`~orderfsm.fsm.effects.EffectName`) and pydantic, nothing else: not the
database, not the dispatcher, not Digital River's adapter, which builds the
payloads and depends on this package, never the other way round.
"""

from orderfsm.effects.payloads import (
    PAYLOAD_TYPES,
    Contact,
    DigitalDelivery,
    EffectItem,
    EffectPayload,
    FulfillmentCancellation,
    FulfillmentReported,
    OrderBlocked,
    OrderCancelled,
    OrderConfirmation,
    OrderStuck,
    PayloadModel,
    PaymentFailed,
    PaymentInstructions,
    PaymentMethod,
    PostalAddress,
    ReportedItem,
    ShipmentRequest,
)

__all__ = [
    "Contact",
    "DigitalDelivery",
    "EffectItem",
    "EffectPayload",
    "FulfillmentCancellation",
    "FulfillmentReported",
    "OrderBlocked",
    "OrderCancelled",
    "OrderConfirmation",
    "OrderStuck",
    "PAYLOAD_TYPES",
    "PayloadModel",
    "PaymentFailed",
    "PaymentInstructions",
    "PaymentMethod",
    "PostalAddress",
    "ReportedItem",
    "ShipmentRequest",
]
