"""A recording handler set: the test double that stands for the outside world.

:class:`EffectRecorder` gives a handler for every effect name that records
what it receives, and wraps a backend's own handlers so that every effect they
accept (return from without raising) is recorded too. :attr:`~EffectRecorder.sent`
is then what a receiver deduplicating by idempotency key has seen: each
effect once, in the order it first succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from orderfsm.fsm.effects import EffectName


class Received(Protocol):
    """What a handler receives (``orderfsm.dispatch.Effect`` satisfies it)."""

    @property
    def name(self) -> EffectName: ...

    @property
    def key(self) -> str: ...

    @property
    def upstream_id(self) -> str: ...

    @property
    def payload(self) -> Any: ...


RecordingHandler = Callable[[Any], None]


@dataclass(frozen=True, slots=True)
class Sent:
    """One effect as the outside world received it."""

    name: EffectName
    key: str
    upstream_id: str
    payload: Any = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class EffectRecorder:
    """Records effects handed to handlers; ``calls`` keeps every call, ``sent`` each key once."""

    calls: list[Any] = field(default_factory=list)
    """Every effect a handler accepted, repeats included, as received."""

    @property
    def sent(self) -> list[Sent]:
        """Each effect once (by key), in the order it first succeeded."""
        seen: dict[str, Sent] = {}
        for effect in self.calls:
            seen.setdefault(
                effect.key,
                Sent(EffectName(effect.name), effect.key, effect.upstream_id, effect.payload),
            )
        return list(seen.values())

    def record(self, effect: Received) -> None:
        """Record that ``effect`` was handled."""
        self.calls.append(effect)

    def handler(self) -> RecordingHandler:
        """A handler that only records (register it under any effect name)."""
        return self.record

    def handlers(
        self, names: Iterable[EffectName] = tuple(EffectName)
    ) -> dict[EffectName, RecordingHandler]:
        """A recording handler for each of ``names`` (every effect by default)."""
        return {name: self.record for name in names}

    def wrap(self, handler: Callable[[Any], None]) -> RecordingHandler:
        """``handler``, recording each effect it returns from without raising."""

        def recorded(effect: Any) -> None:
            handler(effect)
            self.record(effect)

        recorded.__name__ = getattr(handler, "__name__", "handler")
        recorded.__doc__ = getattr(handler, "__doc__", None)
        return recorded

    def around(
        self, handlers: Mapping[EffectName, Callable[[Any], None]]
    ) -> dict[EffectName, RecordingHandler]:
        """A handler for every effect: ``handlers`` wrapped, the others recording only."""
        return {
            name: self.wrap(handlers[name]) if name in handlers else self.record
            for name in EffectName
        }

    def of(self, upstream_id: str) -> list[Sent]:
        """What order ``upstream_id`` sent, each effect once."""
        return [s for s in self.sent if s.upstream_id == upstream_id]

    def names(self, upstream_id: str) -> list[EffectName]:
        """The names of what order ``upstream_id`` sent, in order."""
        return [s.name for s in self.of(upstream_id)]

    def clear(self) -> None:
        """Forget everything recorded."""
        self.calls.clear()
