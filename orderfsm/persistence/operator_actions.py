"""What operators did by hand, stored beside the change itself: a retry and who asked for it.

An effect re-queued or an inbox entry put back in line is not a DR signal,
so it is not an ``order_history`` row (those rows are the lifecycle's
judgement of signals, and deduplication reads them). It is an
:class:`OperatorAction` in ``operator_actions``, written in the same
transaction as the retry it records: a retry is never done without its
record, nor recorded without being done. The console's order page shows
them in the order's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, Engine, insert, select

from orderfsm.errors import InboxEntryNotFound
from orderfsm.persistence.database import to_db_time
from orderfsm.persistence.inbox import InboxEntry, retry_in
from orderfsm.persistence.outbox import find_effect, requeue_dead
from orderfsm.persistence.tables import (
    OPERATOR_ACTIONS,
    ORDERS,
    OUTBOX,
    InboxStatus,
)


class ActionKind(StrEnum):
    """What an operator may do by hand (the stored value)."""

    RETRY_EFFECT = "retry_effect"
    RETRY_INBOX_ENTRY = "retry_inbox_entry"


class ActionVia(StrEnum):
    """Where the operator acted."""

    CONSOLE = "console"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class Operator:
    """Who acts, and through what: the console's signed-in user, or the CLI's OS user."""

    actor: str
    via: ActionVia


@dataclass(frozen=True, slots=True)
class OperatorAction:
    """One recorded action: what, on which effect or inbox entry, by whom, when."""

    kind: ActionKind
    target: str
    """The effect's idempotency key, or the inbox entry's DR event id."""
    actor: str
    via: ActionVia
    recorded_at: datetime
    upstream_id: str | None = None


def retry_effect(db: Engine, key: str, operator: Operator, *, now: datetime) -> OperatorAction:
    """Re-queue the dead effect ``key`` (``effects retry``) and record who did it.

    Raises :class:`~orderfsm.errors.EffectNotFound` (nothing written) when no
    effect has ``key`` or it is not dead.
    """
    with db.begin() as connection:
        requeue_dead(connection, key, now=now)
        order_id = connection.execute(
            select(OUTBOX.c.order_id).where(OUTBOX.c.idempotency_key == key)
        ).scalar_one()
        action = OperatorAction(ActionKind.RETRY_EFFECT, key, operator.actor, operator.via, now)
        _record(connection, action, order_id)
        entry = find_effect(connection, key)
    return _with_order(action, entry.upstream_id if entry else None)


def retry_inbox_entry(
    db: Engine, entry_id: int, operator: Operator, *, now: datetime
) -> tuple[InboxEntry, OperatorAction]:
    """Put the inbox entry back in line (``inbox retry``) and record who did it.

    An applied entry, or no entry with that id, raises
    :class:`~orderfsm.errors.InboxEntryNotFound` with nothing written.
    """
    with db.begin() as connection:
        entry = retry_in(connection, entry_id)
        if entry is None:
            raise InboxEntryNotFound(f"no inbox entry with id {entry_id}")
        if entry.status is InboxStatus.APPLIED:
            raise InboxEntryNotFound(
                f"inbox entry {entry_id} (event {entry.event_id!r}) was applied; nothing to retry"
            )
        order_id = None
        if entry.upstream_id is not None:
            order_id = connection.execute(
                select(ORDERS.c.id).where(ORDERS.c.upstream_id == entry.upstream_id)
            ).scalar_one_or_none()
        action = OperatorAction(
            ActionKind.RETRY_INBOX_ENTRY, entry.event_id, operator.actor, operator.via, now
        )
        _record(connection, action, order_id)
    return entry, _with_order(action, entry.upstream_id)


def actions_of(connection: Connection, order_id: int) -> list[OperatorAction]:
    """The actions recorded for one order, oldest first."""
    query = (
        select(OPERATOR_ACTIONS, ORDERS.c.upstream_id)
        .join(ORDERS, ORDERS.c.id == OPERATOR_ACTIONS.c.order_id)
        .where(OPERATOR_ACTIONS.c.order_id == order_id)
        .order_by(OPERATOR_ACTIONS.c.id)
    )
    return [
        OperatorAction(
            kind=ActionKind(row["kind"]),
            target=row["target"],
            actor=row["actor"],
            via=ActionVia(row["via"]),
            recorded_at=to_db_time(row["recorded_at"]) or row["recorded_at"],
            upstream_id=row["upstream_id"],
        )
        for row in connection.execute(query).mappings()
    ]


def _record(connection: Connection, action: OperatorAction, order_id: int | None) -> None:
    connection.execute(
        insert(OPERATOR_ACTIONS).values(
            order_id=order_id,
            kind=action.kind.value,
            target=action.target,
            actor=action.actor,
            via=action.via.value,
            recorded_at=action.recorded_at,
        )
    )


def _with_order(action: OperatorAction, upstream_id: str | None) -> OperatorAction:
    return OperatorAction(
        action.kind, action.target, action.actor, action.via, action.recorded_at, upstream_id
    )
