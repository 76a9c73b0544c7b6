"""What the dispatcher tells its caller: a :class:`Delivery` per claimed effect, pass totals."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from orderfsm.fsm.effects import EffectName
from orderfsm.persistence.outbox import Claim
from orderfsm.persistence.unhandled import Unhandled


class DeliveryResult(Enum):
    """What became of one claimed effect."""

    DONE = "done"
    RETRIED = "retried"
    """The attempt failed (an error or a timeout); it is due again after a backoff."""
    DEAD = "dead"
    LOST = "lost"
    """Another dispatcher holds the row now (this one's lease ran out); nothing recorded."""
    INTERRUPTED = "interrupted"
    """The worker stopped while the handler ran; the row is due again at once."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed effect and what became of it, for the worker's log lines."""

    key: str
    effect: EffectName
    upstream_id: str
    attempt: int
    result: DeliveryResult
    error: str | None = None
    """Why the attempt failed (or the note of a done effect that needed no handler)."""


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one pass did."""

    done: int = 0
    retried: int = 0
    """Attempts that failed (errors and timeouts) and were scheduled again."""
    dead: int = 0
    lost: int = 0
    """Claims another dispatcher took over after this one's lease ran out."""
    unhandled: int = 0
    """Effects waiting with no handler registered (left ``pending``)."""
    unhandled_keys: tuple[str, ...] = ()
    unhandled_effects: Mapping[str, int] = field(default_factory=dict)
    """How many effects wait with no handler, per effect name."""
    done_keys: tuple[str, ...] = field(default=(), repr=False)
    dead_keys: tuple[str, ...] = field(default=(), repr=False)
    interrupted: int = 0
    """Attempts cut short by a stop and put back in line."""
    stuck: int = 0
    """Handler calls abandoned after their timeout that still have not returned."""
    released: int = 0
    """Claims given back untried (a stop, or every slot held by a hung call)."""

    @property
    def handled(self) -> int:
        """Rows this pass finished one way or another."""
        return self.done + self.retried + self.dead

    @classmethod
    def of(
        cls,
        deliveries: Iterable[Delivery],
        *,
        unhandled: Unhandled | None = None,
        stuck: int = 0,
        released: int = 0,
    ) -> DispatchReport:
        """The totals of ``deliveries``."""
        keys: dict[DeliveryResult, list[str]] = {result: [] for result in DeliveryResult}
        for delivery in deliveries:
            keys[delivery.result].append(delivery.key)
        return cls(
            done=len(keys[DeliveryResult.DONE]),
            retried=len(keys[DeliveryResult.RETRIED]),
            dead=len(keys[DeliveryResult.DEAD]),
            lost=len(keys[DeliveryResult.LOST]),
            unhandled=unhandled.count if unhandled else 0,
            unhandled_keys=unhandled.keys if unhandled else (),
            unhandled_effects=unhandled.by_effect if unhandled else {},
            done_keys=tuple(keys[DeliveryResult.DONE]),
            dead_keys=tuple(keys[DeliveryResult.DEAD]),
            interrupted=len(keys[DeliveryResult.INTERRUPTED]),
            stuck=stuck,
            released=released,
        )


Observer = Callable[[Delivery], None]
"""Told of each claimed effect's result as soon as it is recorded."""


def recorder(deliveries: list[Delivery], observe: Observer | None) -> Observer:
    """An observer that keeps every delivery in ``deliveries`` and tells ``observe``."""

    def record(delivery: Delivery) -> None:
        deliveries.append(delivery)
        if observe is not None:
            observe(delivery)

    return record


def delivery_of(claim: Claim, result: DeliveryResult, error: str | None = None) -> Delivery:
    """What became of ``claim``."""
    return Delivery(
        claim.key, EffectName(claim.effect), claim.upstream_id, claim.attempt, result, error
    )
