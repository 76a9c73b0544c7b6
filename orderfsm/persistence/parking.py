"""What waits in the parking: DR events that arrived before their order was submitted."""

from __future__ import annotations

from sqlalchemy import Connection, Table, or_, select

from orderfsm.persistence.tables import ParkedSignalRow

PARKED: Table = ParkedSignalRow.__table__  # type: ignore[attr-defined]


def parked_event_types(connection: Connection, ref: str) -> list[str]:
    """Types of the events parked for ``ref`` (DR order, checkout or upstream id), oldest first."""
    rows = connection.execute(
        select(PARKED.c.event_type)
        .where(
            or_(
                PARKED.c.dr_order_id == ref,
                PARKED.c.checkout_id == ref,
                PARKED.c.upstream_id == ref,
            )
        )
        .order_by(PARKED.c.dr_time, PARKED.c.id)
    )
    return list(rows.scalars())
