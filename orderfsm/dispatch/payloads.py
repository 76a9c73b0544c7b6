"""An outbox row's stored payload as the typed payload its handler receives.

Items DR sent without a ``physical`` flag are settled by the classifier here,
before any handler sees them; a shipment (or digital delivery) left with no
item of its kind needs no handler at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from orderfsm.dispatch.registry import Classifier
from orderfsm.effects import (
    PAYLOAD_TYPES,
    DigitalDelivery,
    EffectPayload,
    ShipmentRequest,
)
from orderfsm.fsm.effects import EffectName


@dataclass(frozen=True, slots=True)
class Undeliverable:
    """A stored payload no attempt can deliver (unreadable, or an item nobody can classify)."""

    reason: str


def typed_payload(
    name: EffectName, stored: Mapping[str, Any], classifier: Classifier | None
) -> EffectPayload | Undeliverable | None:
    """The typed payload, unknown items classified; ``None`` if no item is left.

    :class:`Undeliverable` for a payload that does not read as ``name``'s, or
    an unflagged item with no classifier (the effect goes dead); whatever the
    classifier raises propagates (a failed attempt, retried).
    """
    try:
        payload = PAYLOAD_TYPES[name].model_validate(stored)
    except ValidationError as exc:
        return Undeliverable(f"payload unreadable as {name.value}: {exc}")
    if not isinstance(payload, ShipmentRequest | DigitalDelivery):
        return payload
    wanted = isinstance(payload, ShipmentRequest)
    kept = []
    for item in payload.items:
        physical = item.physical
        if physical is None:
            if classifier is None:
                return Undeliverable(
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
