"""Built-in classifiers: what becomes of an item whose ``physical`` flag DR left out.

DR's webhooks carry the flag only when the event is *expanded*; without it
the dispatcher asks a :data:`~orderfsm.dispatch.Classifier`. A shop that
sells only goods or only downloads needs no code: ``orderfsm worker
--classifier physical`` (or ``digital``) picks one of these by name.
"""

from __future__ import annotations

from types import MappingProxyType

from orderfsm.dispatch.registry import Classifier
from orderfsm.effects import EffectItem


def ship_unflagged(_item: EffectItem) -> bool:
    """Every unflagged item ships (a shop of physical goods)."""
    return True


def deliver_unflagged_digitally(_item: EffectItem) -> bool:
    """Every unflagged item is delivered digitally (a shop of downloads and licences)."""
    return False


BUILT_IN_CLASSIFIERS: MappingProxyType[str, Classifier] = MappingProxyType(
    {"physical": ship_unflagged, "digital": deliver_unflagged_digitally}
)
"""The classifiers ``--classifier`` knows by name."""
