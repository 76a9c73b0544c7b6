"""Listing orders for the operator: oldest update first, filtered, paged by a cursor.

A read only (``orderfsm orders``): one statement with the latest history row
of each order as correlated subqueries. Paging is by keyset on
``(updated_at, id)``, so a page never repeats or skips an order that did not
move meanwhile; the cursor is the last row's key as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from orderfsm.errors import ConfigurationError
from orderfsm.persistence.database import READ_ONLY_OPTION, to_db_time
from orderfsm.persistence.tables import HISTORY, ORDERS

CURSOR_SEPARATOR = "/"
"""Between a cursor's time (ISO 8601) and order id."""


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders to list; ``None`` leaves a criterion out."""

    state: str | None = None
    updated_before: datetime | None = None
    """Only orders whose last update is older than this moment."""
    disputed: bool | None = None


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One line of ``orderfsm orders``: an order and the last signal it saw."""

    id: int
    upstream_id: str
    dr_order_id: str | None
    checkout_id: str | None
    state: str
    disputed: bool
    created_at: datetime
    updated_at: datetime
    last_signal: str | None
    """The last history row's DR event type, or its origin (``submit``, ``adopt``...)."""
    last_outcome: str | None
    last_signal_at: datetime | None

    @property
    def cursor(self) -> str:
        """The ``--after`` value that starts the next page after this order."""
        return f"{self.updated_at.isoformat()}{CURSOR_SEPARATOR}{self.id}"

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The fixed ``orders --json`` shape (ISO 8601 UTC times; age in seconds at ``now``)."""
        return {
            "upstreamId": self.upstream_id,
            "orderId": self.dr_order_id,
            "checkoutId": self.checkout_id,
            "state": self.state,
            "disputed": self.disputed,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
            "ageSeconds": int((now - self.updated_at).total_seconds()),
            "lastSignal": self.last_signal,
            "lastOutcome": self.last_outcome,
            "lastSignalAt": self.last_signal_at.isoformat() if self.last_signal_at else None,
            "cursor": self.cursor,
        }


def parse_cursor(cursor: str) -> tuple[datetime, int]:
    """A cursor's ``(updated_at, id)``; a malformed one is a ConfigurationError."""
    moment, _, order_id = cursor.rpartition(CURSOR_SEPARATOR)
    try:
        parsed = datetime.fromisoformat(moment)
        return (to_db_time(parsed) or parsed, int(order_id))
    except ValueError:
        raise ConfigurationError(
            f"not a cursor: {cursor!r} (use the value printed after 'next page: --after')"
        ) from None


def _latest(column: Any) -> Any:
    return (
        select(column)
        .where(HISTORY.c.order_id == ORDERS.c.id)
        .order_by(HISTORY.c.id.desc())
        .limit(1)
        .correlate(ORDERS)
        .scalar_subquery()
    )


_LIST = select(
    ORDERS.c.id,
    ORDERS.c.upstream_id,
    ORDERS.c.dr_order_id,
    ORDERS.c.checkout_id,
    ORDERS.c.state,
    ORDERS.c.disputed,
    ORDERS.c.created_at,
    ORDERS.c.updated_at,
    _latest(HISTORY.c.event_type).label("last_event_type"),
    _latest(HISTORY.c.origin).label("last_origin"),
    _latest(HISTORY.c.outcome).label("last_outcome"),
    _latest(HISTORY.c.recorded_at).label("last_signal_at"),
).order_by(ORDERS.c.updated_at, ORDERS.c.id)


def list_orders(
    engine: Engine, chosen: OrderFilter, *, limit: int, after: str | None = None
) -> list[OrderSummary]:
    """Up to ``limit`` orders matching ``chosen``, oldest update first, after ``after``."""
    query = _LIST
    if chosen.state is not None:
        query = query.where(ORDERS.c.state == chosen.state)
    if chosen.updated_before is not None:
        query = query.where(ORDERS.c.updated_at < chosen.updated_before.astimezone(UTC))
    if chosen.disputed is not None:
        query = query.where(ORDERS.c.disputed == chosen.disputed)
    if after is not None:
        moment, order_id = parse_cursor(after)
        query = query.where(
            or_(
                ORDERS.c.updated_at > moment,
                and_(ORDERS.c.updated_at == moment, ORDERS.c.id > order_id),
            )
        )
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        rows = connection.execute(query.limit(limit)).mappings().all()
    return [_summary(row) for row in rows]


def _summary(row: Any) -> OrderSummary:
    created: datetime = to_db_time(row["created_at"]) or row["created_at"]
    updated: datetime = to_db_time(row["updated_at"]) or row["updated_at"]
    return OrderSummary(
        id=row["id"],
        upstream_id=row["upstream_id"],
        dr_order_id=row["dr_order_id"],
        checkout_id=row["checkout_id"],
        state=row["state"],
        disputed=bool(row["disputed"]),
        created_at=created,
        updated_at=updated,
        last_signal=row["last_event_type"] or row["last_origin"],
        last_outcome=row["last_outcome"],
        last_signal_at=to_db_time(row["last_signal_at"]),
    )
