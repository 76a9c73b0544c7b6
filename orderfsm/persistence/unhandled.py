"""Outbox rows no handler takes: counted per effect, and noted so operators can tell.

A dispatcher claims only the effects its registry handles. The others stay
``pending``; each pass counts them (:func:`waiting_without_handler`) and
notes :data:`NO_HANDLER` on the never attempted ones (:func:`mark_unhandled`),
so ``orderfsm effects`` and ``show`` mark them "no handler" rather than
showing them as ordinary backlog. A dispatcher that has the handler clears
the note when it claims the row (:func:`orderfsm.persistence.outbox.claim_due`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, func, select, update

from orderfsm.persistence.outbox import WAITING
from orderfsm.persistence.records import NO_HANDLER
from orderfsm.persistence.repository import OUTBOX
from orderfsm.persistence.tables import EffectStatus


@dataclass(frozen=True, slots=True)
class Unhandled:
    """The rows waiting for an effect nobody (in this dispatcher) handles."""

    count: int = 0
    keys: tuple[str, ...] = ()
    """The first few of their keys."""
    by_effect: Mapping[str, int] = field(default_factory=dict)
    """How many wait, per effect name."""


def waiting_without_handler(
    connection: Connection, handled: Collection[str], *, limit: int
) -> Unhandled:
    """How many rows wait for an effect nobody handles, per effect, and the first ``limit`` keys."""
    condition = and_(OUTBOX.c.status.in_(WAITING), OUTBOX.c.effect.not_in(list(handled)))
    counted = connection.execute(
        select(OUTBOX.c.effect, func.count()).where(condition).group_by(OUTBOX.c.effect)
    ).all()
    by_effect = {str(effect): int(count) for effect, count in counted}
    if not by_effect:
        return Unhandled()
    keys = connection.execute(
        select(OUTBOX.c.idempotency_key).where(condition).order_by(OUTBOX.c.id).limit(limit)
    ).scalars()
    return Unhandled(sum(by_effect.values()), tuple(keys), by_effect)


def mark_unhandled(connection: Connection, handled: Collection[str]) -> int:
    """Note :data:`NO_HANDLER` on never attempted rows of effects not in ``handled``.

    No attempt is counted and the status stays ``pending``; rows already
    noted, or with an error of their own, are left alone. How many were noted.
    """
    result = connection.execute(
        update(OUTBOX)
        .where(
            and_(
                OUTBOX.c.status == EffectStatus.PENDING.value,
                OUTBOX.c.attempts == 0,
                OUTBOX.c.last_error.is_(None),
                OUTBOX.c.effect.not_in(list(handled)),
            )
        )
        .values(last_error=NO_HANDLER)
    )
    return int(result.rowcount)
