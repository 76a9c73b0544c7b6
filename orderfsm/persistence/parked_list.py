"""Listing parked events for the operator: what each waits for, and since when.

A read only (``orderfsm parked``): a DR event for an order the engine does
not know yet waits in ``parked_signals`` under the ids it names (DR order id,
checkout id, upstream id) until an order with one of them appears.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from orderfsm.persistence.database import READ_ONLY_OPTION
from orderfsm.persistence.records import ParkedSignal
from orderfsm.persistence.rows import parked_signal
from orderfsm.persistence.tables import PARKED

_OLDEST_FIRST = select(PARKED).order_by(PARKED.c.parked_at, PARKED.c.id)


def list_parked(engine: Engine, *, limit: int) -> list[ParkedSignal]:
    """Up to ``limit`` parked events, the longest waiting first."""
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        rows = connection.execute(_OLDEST_FIRST.limit(limit)).mappings().all()
    return [parked_signal(row) for row in rows]


def count_parked(engine: Engine) -> int:
    """How many events are parked."""
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        return int(connection.execute(select(func.count()).select_from(PARKED)).scalar_one())
