"""The host's handlers, one per effect name, and the :class:`Effect` each receives.

::

    registry = HandlerRegistry()

    @registry.handler(EffectName.REQUEST_SHIPMENT)
    def ship(effect: Effect[ShipmentRequest]) -> None:
        warehouse.ship(effect.payload.items, to=effect.payload.ship_to, key=effect.key)

A handler returns normally when the work is done, raises
:class:`~orderfsm.errors.PermanentEffectError` when retrying cannot help, and
raises anything else to be retried with backoff. It may be called more than
once for one effect (a crash between its success and the ``done`` mark), so it
passes ``effect.key`` on for the receiver to deduplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from orderfsm.effects import EffectItem, EffectPayload
from orderfsm.errors import EffectRegistrationError
from orderfsm.fsm.effects import EffectName

P_co = TypeVar("P_co", bound=EffectPayload, covariant=True)


@dataclass(frozen=True, slots=True)
class Effect(Generic[P_co]):
    """One effect handed to a handler."""

    name: EffectName
    key: str
    """The idempotency key: the same for every attempt, unique per effect."""
    payload: P_co
    """The typed payload (see ``orderfsm.dispatch.PAYLOAD_TYPES``)."""
    upstream_id: str
    attempt: int
    """1 for the first attempt; counts every claim, including one a crash cut short."""


Handler = Callable[[Effect[Any]], None]
"""What a host registers: called with the effect, returns when the work is done."""

Classifier = Callable[[EffectItem], bool]
"""Says whether an item whose ``physical`` flag DR left out ships (``True``) or not."""

H = TypeVar("H", bound=Handler)


class HandlerRegistry:
    """One handler per effect name of the vocabulary; unknown names are refused at once."""

    def __init__(
        self,
        handlers: Mapping[EffectName | str, Handler] | None = None,
        *,
        classifier: Classifier | None = None,
    ) -> None:
        self._handlers: dict[EffectName, Handler] = {}
        self.classifier = classifier
        """Settles items with no physical flag; the dispatcher's own classifier wins."""
        for name, handler in (handlers or {}).items():
            self.register(name, handler)

    def register(self, name: EffectName | str, handler: Handler) -> None:
        """Make ``handler`` the one that does effect ``name``.

        Raises :class:`EffectRegistrationError` for a name outside the
        vocabulary, a handler that is not callable, or a second handler for
        the same name.
        """
        effect = _effect_name(name)
        if not callable(handler):
            raise EffectRegistrationError(f"the handler for {effect.value} is not callable")
        if effect in self._handlers:
            raise EffectRegistrationError(f"{effect.value} already has a handler")
        self._handlers[effect] = handler

    def handler(self, name: EffectName | str) -> Callable[[H], H]:
        """Decorator form of :meth:`register`; returns the function unchanged."""
        effect = _effect_name(name)

        def decorate(function: H) -> H:
            self.register(effect, function)
            return function

        return decorate

    def get(self, name: EffectName) -> Handler | None:
        """The handler of ``name``, or ``None`` when the host registered none."""
        return self._handlers.get(name)

    @property
    def names(self) -> frozenset[EffectName]:
        """The effect names that have a handler."""
        return frozenset(self._handlers)

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def __iter__(self) -> Iterator[EffectName]:
        return iter(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)


def _effect_name(name: EffectName | str) -> EffectName:
    try:
        return EffectName(name)
    except ValueError:
        known = ", ".join(e.value for e in EffectName)
        raise EffectRegistrationError(
            f"{name!r} is not an effect name; the vocabulary is: {known}"
        ) from None
