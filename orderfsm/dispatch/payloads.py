"""An outbox row's stored payload as the typed payload its handler receives.

Items DR sent without a ``physical`` flag are settled by the classifier here,
before any handler sees them; a shipment (or digital delivery) left with no
item of its kind needs no handler at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from orderfsm.adapters.digitalriver.effect_models import (
    PAYLOAD_TYPES,
    DigitalDelivery,
    EffectPayload,
    ShipmentRequest,
)
from orderfsm.dispatch.registry import Classifier
from orderfsm.fsm.effects import EffectName


class UndeliverablePayload(Exception):
    """An effect that must not be retried (internal to dispatch: the reason is the message)."""


def typed_payload(
    name: EffectName, stored: Mapping[str, Any], classifier: Classifier | None
) -> EffectPayload | None:
    """The typed payload, unknown items classified; ``None`` if no item is left.

    Raises :class:`UndeliverablePayload` for a payload that does not read as
    ``name``'s, or an unflagged item with no classifier; whatever the
    classifier raises propagates (a failed attempt, retried).
    """
    try:
        payload = PAYLOAD_TYPES[name].model_validate(stored)
    except ValidationError as exc:
        raise UndeliverablePayload(f"payload unreadable as {name.value}: {exc}") from exc
    if not isinstance(payload, ShipmentRequest | DigitalDelivery):
        return payload
    wanted = isinstance(payload, ShipmentRequest)
    kept = []
    for item in payload.items:
        physical = item.physical
        if physical is None:
            if classifier is None:
                raise UndeliverablePayload(
                    f"item {item.id} has no physical flag (non-expanded event) "
                    "and no classifier is configured"
                )
            physical = bool(classifier(item))
            item = item.model_copy(update={"physical": physical})
        if physical is wanted:
            kept.append(item)
    if not kept:
        return None
    return payload.model_copy(update={"items": tuple(kept)})
