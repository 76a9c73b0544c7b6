"""The database tables, as SQLModel classes (one per table).

The hot path reads and writes them through SQLAlchemy Core on ``__table__``
(see :mod:`orderfsm.persistence.repository`); the classes also serve hosts
that want to query orders with a SQLModel session. Status and outcome columns
hold the values of enums (below, and :mod:`orderfsm.fsm.outcomes`), never
free strings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Table, text
from sqlmodel import Field, SQLModel

from orderfsm.fsm.outcomes import UNCOUNTED_OUTCOMES


def first_application_sql(table: str | None = None) -> str:
    """:func:`~orderfsm.fsm.outcomes.is_first_application` in SQL, with literal values.

    Literal, not bound: only then can SQLite (and a generic PostgreSQL plan)
    prove that a query matches the partial unique index written with it.
    ``table`` qualifies the columns.
    """
    at = f"{table}." if table else ""
    uncounted = ", ".join(f"'{outcome.value}'" for outcome in sorted(UNCOUNTED_OUTCOMES))
    return f"{at}step = 0 AND {at}outcome NOT IN ({uncounted})"


FIRST_APPLICATION_SQL = first_application_sql()
"""The predicate of the partial unique index ``uq_order_history_event``."""


class EffectStatus(StrEnum):
    """Where an outbox row stands."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"


class InboxStatus(StrEnum):
    """Where a received webhook stands."""

    RECEIVED = "received"
    APPLIED = "applied"
    DEAD = "dead"


class OrderRow(SQLModel, table=True):
    """The platform's order as it stands against DR."""

    __tablename__ = "orders"
    # Orders per state and the live states' orders (metrics, stuck): migration 0005;
    # a state's orders in id order, so a console page needs no sort: 0006.
    __table_args__ = (
        Index("ix_orders_state_created", "state", "created_at"),
        Index("ix_orders_state_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    upstream_id: str = Field(unique=True, max_length=255)
    checkout_id: str | None = Field(default=None, unique=True, max_length=255)
    dr_order_id: str | None = Field(default=None, unique=True, max_length=255)
    state: str = Field(max_length=32)
    fraud_state: str | None = Field(default=None, max_length=32)
    charges: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    disputed: bool = False
    dispute_changed_at: datetime | None = None
    dr_time: datetime | None = None
    snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    item_tallies: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    """What the platform reported per item: ``[{"itemId", "fulfilled", "cancelled"}]``."""
    version: int = 1
    created_at: datetime
    updated_at: datetime


class HistoryRow(SQLModel, table=True):
    """One signal's outcome for one order; a walk writes one row per step."""

    __tablename__ = "order_history"
    __table_args__ = (
        # One first-step row per DR event, whatever the number of workers:
        # the database itself refuses a second application.
        Index(
            "uq_order_history_event",
            "event_id",
            unique=True,
            sqlite_where=text(FIRST_APPLICATION_SQL),
            postgresql_where=text(FIRST_APPLICATION_SQL),
        ),
        Index("ix_order_history_order", "order_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    event_id: str | None = Field(default=None, max_length=255)
    step: int = 0
    trigger: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    origin: str = Field(max_length=32)
    event_type: str | None = Field(default=None, max_length=128)
    dr_time: datetime | None = None
    recorded_at: datetime
    outcome: str = Field(max_length=16)
    reason: str | None = None


class OutboxRow(SQLModel, table=True):
    """An effect intent waiting for (or done by) the host's handler."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    effect: str = Field(max_length=64)
    idempotency_key: str = Field(unique=True, max_length=255)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=EffectStatus.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime
    lease_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    updated_at: datetime


class InboxRow(SQLModel, table=True):
    """A webhook body as received, stored before it is acknowledged."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_status", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=255)
    event_type: str = Field(max_length=128)
    body: str
    status: str = Field(default=InboxStatus.RECEIVED.value, max_length=16)
    attempts: int = 0
    lease_until: datetime | None = None
    error: str | None = None
    received_at: datetime
    processed_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=16)
    """What applying it did: an ``Outcome`` value or ``not_relevant`` (``None`` until applied)."""
    upstream_id: str | None = Field(default=None, max_length=255)
    """The order it concerned, when the engine knew it."""


class ParkedSignalRow(SQLModel, table=True):
    """A DR event for an order not known yet, kept until the order appears."""

    __tablename__ = "parked_signals"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=255)
    event_type: str = Field(max_length=128)
    dr_order_id: str | None = Field(default=None, index=True, max_length=255)
    checkout_id: str | None = Field(default=None, index=True, max_length=255)
    upstream_id: str | None = Field(default=None, index=True, max_length=255)
    dr_time: datetime | None = None
    body: str
    parked_at: datetime


class ReconcileCursorRow(SQLModel, table=True):
    """Where reconciliation from ``GET /events`` stands (one row per cursor name).

    ``position`` is the newest ``createdTime`` of a finished run; a run under
    way keeps its lower bound, the last event id of its last stored page and
    the newest time it saw, so a crashed run resumes at its page.
    """

    __tablename__ = "reconcile_cursors"

    name: str = Field(primary_key=True, max_length=64)
    position: datetime | None = None
    run_after: datetime | None = None
    run_starting_after: str | None = Field(default=None, max_length=255)
    run_newest: datetime | None = None
    updated_at: datetime


class OperatorActionRow(SQLModel, table=True):
    """What an operator did by hand (a retry from the console or the CLI), and who."""

    __tablename__ = "operator_actions"
    __table_args__ = (Index("ix_operator_actions_order", "order_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    """The order it concerned (``None``: an inbox entry of an order not known)."""
    kind: str = Field(max_length=32)
    target: str = Field(max_length=255)
    """The effect's idempotency key, or the inbox entry's DR event id."""
    actor: str = Field(max_length=255)
    via: str = Field(max_length=32)
    recorded_at: datetime


class JournalRunRow(SQLModel, table=True):
    """How far one ``orderfsm apply`` run got: the last journal line it committed.

    Written in the transaction that commits the lines it counts, so after a
    lost connection the run reads here whether its last commit happened;
    kept afterwards as a record of the run.
    """

    __tablename__ = "journal_runs"

    run_id: str = Field(primary_key=True, max_length=64)
    position: int
    updated_at: datetime


ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
HISTORY: Table = HistoryRow.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
PARKED: Table = ParkedSignalRow.__table__  # type: ignore[attr-defined]
OPERATOR_ACTIONS: Table = OperatorActionRow.__table__  # type: ignore[attr-defined]

METADATA = SQLModel.metadata
"""Every orderfsm table; Alembic's target metadata."""
