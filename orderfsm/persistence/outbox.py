"""The outbox's statements for the dispatcher and operators (Core on ``outbox``).

A row is *claimed* by setting ``lease_until`` and counting the attempt, in a
short transaction of its own: PostgreSQL skips rows another dispatcher holds
(``FOR UPDATE SKIP LOCKED``); SQLite serializes claimers with its
``BEGIN IMMEDIATE`` write lock. The handler runs outside that transaction.
Finishing a claim is guarded by the claim's ``attempts`` and ``lease_until``,
so a dispatcher whose lease ran out (and whose row was claimed again) cannot
overwrite the newer claimer's result. While a handler runs, its dispatcher
renews the lease (:func:`extend`, same guard), so a short lease frees a
crashed dispatcher's rows soon without a long handler being run twice.

Status while a row is in flight stays ``pending`` or ``failed``; the lease
alone says someone holds it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, or_, select, update

from orderfsm.errors import EffectNotFound
from orderfsm.persistence.database import to_db_time
from orderfsm.persistence.records import NO_HANDLER
from orderfsm.persistence.repository import ORDERS, OUTBOX
from orderfsm.persistence.tables import EffectStatus

WAITING = (EffectStatus.PENDING.value, EffectStatus.FAILED.value)
"""Statuses of rows that still need their handler."""


@dataclass(frozen=True, slots=True)
class Claim:
    """An outbox row this dispatcher holds until ``lease_until``."""

    id: int
    key: str
    effect: str
    payload: Mapping[str, Any]
    upstream_id: str
    attempt: int
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox row, as operators see it."""

    key: str
    effect: str
    upstream_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    last_error: str | None
    payload: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime


def _due(now: datetime, effects: Collection[str]) -> Any:
    return and_(
        OUTBOX.c.status.in_(WAITING),
        OUTBOX.c.effect.in_(list(effects)),
        OUTBOX.c.next_attempt_at <= now,
        or_(OUTBOX.c.lease_until.is_(None), OUTBOX.c.lease_until <= now),
    )


def claim_due(
    connection: Connection,
    *,
    effects: Collection[str],
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> list[Claim]:
    """Claim up to ``limit`` due rows of ``effects``, oldest due first (commit after)."""
    if not effects:
        return []
    due = (
        select(OUTBOX.c.id)
        .where(_due(now, effects))
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # SQLite renders no FOR UPDATE: its lock is enough
    )
    claimed = connection.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(
            lease_until=lease_until,
            attempts=OUTBOX.c.attempts + 1,
            updated_at=now,
            last_error=case((OUTBOX.c.last_error == NO_HANDLER, None), else_=OUTBOX.c.last_error),
        )
        .returning(OUTBOX.c.id)
    ).scalars()
    ids = list(claimed)
    if not ids:
        return []
    rows = connection.execute(
        select(OUTBOX, ORDERS.c.upstream_id)
        .join(ORDERS, ORDERS.c.id == OUTBOX.c.order_id)
        .where(OUTBOX.c.id.in_(ids))
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
    ).mappings()
    return [
        Claim(
            id=r["id"],
            key=r["idempotency_key"],
            effect=r["effect"],
            payload=r["payload"],
            upstream_id=r["upstream_id"],
            attempt=r["attempts"],
            lease_until=lease_until,
        )
        for r in rows
    ]


def _held(claim: Claim) -> Any:
    return and_(
        OUTBOX.c.id == claim.id,
        OUTBOX.c.status.in_(WAITING),
        OUTBOX.c.attempts == claim.attempt,
        OUTBOX.c.lease_until == claim.lease_until,
    )


def mark_done(
    connection: Connection, claim: Claim, *, now: datetime, note: str | None = None
) -> bool:
    """Mark a claimed row done; ``False`` when the claim was lost to another dispatcher."""
    result = connection.execute(
        update(OUTBOX)
        .where(_held(claim))
        .values(status=EffectStatus.DONE.value, lease_until=None, last_error=note, updated_at=now)
    )
    return result.rowcount == 1


def mark_failed(
    connection: Connection,
    claim: Claim,
    *,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Record a failed attempt: retry at ``retry_at``, or ``dead`` when it is ``None``."""
    values: dict[str, Any] = {"lease_until": None, "last_error": error, "updated_at": now}
    if retry_at is None:
        values["status"] = EffectStatus.DEAD.value
    else:
        values["status"] = EffectStatus.FAILED.value
        values["next_attempt_at"] = retry_at
    result = connection.execute(update(OUTBOX).where(_held(claim)).values(values))
    return result.rowcount == 1


def extend(
    connection: Connection, claim: Claim, *, lease_until: datetime, now: datetime
) -> Claim | None:
    """Renew a claim whose handler still runs; the renewed claim, or ``None`` if it was lost.

    Guarded like every finish (attempt and current lease), so a dispatcher
    whose lease already ran out cannot take the row back from its new holder.
    """
    result = connection.execute(
        update(OUTBOX).where(_held(claim)).values(lease_until=lease_until, updated_at=now)
    )
    if result.rowcount != 1:
        return None
    return replace(claim, lease_until=lease_until)


def release(connection: Connection, claim: Claim, *, now: datetime) -> bool:
    """Give a claimed row back untried (its lease ran out before the handler was called)."""
    result = connection.execute(
        update(OUTBOX)
        .where(_held(claim))
        .values(lease_until=None, attempts=OUTBOX.c.attempts - 1, updated_at=now)
    )
    return result.rowcount == 1


def list_effects(
    connection: Connection,
    *,
    status: EffectStatus | None = None,
    effect: str | None = None,
    limit: int | None = None,
    order: str | None = None,
) -> list[OutboxEntry]:
    """Outbox rows, oldest first, optionally of one status, effect or order.

    ``order`` is any of the order's references (upstream, DR order or checkout id).
    """
    query = select(OUTBOX, ORDERS.c.upstream_id).join(ORDERS, ORDERS.c.id == OUTBOX.c.order_id)
    if order is not None:
        refs = (ORDERS.c.upstream_id, ORDERS.c.dr_order_id, ORDERS.c.checkout_id)
        query = query.where(or_(*(column == order for column in refs)))
    if status is not None:
        query = query.where(OUTBOX.c.status == status.value)
    if effect is not None:
        query = query.where(OUTBOX.c.effect == effect)
    query = query.order_by(OUTBOX.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [_entry(r) for r in connection.execute(query).mappings()]


def order_known(connection: Connection, order: str) -> bool:
    """Whether an order has ``order`` as any of its references (those of :func:`list_effects`)."""
    refs = (ORDERS.c.upstream_id, ORDERS.c.dr_order_id, ORDERS.c.checkout_id)
    query = select(ORDERS.c.id).where(or_(*(column == order for column in refs))).limit(1)
    return connection.execute(query).first() is not None


def find_effect(connection: Connection, key: str) -> OutboxEntry | None:
    """The outbox row with idempotency key ``key``."""
    row = (
        connection.execute(
            select(OUTBOX, ORDERS.c.upstream_id)
            .join(ORDERS, ORDERS.c.id == OUTBOX.c.order_id)
            .where(OUTBOX.c.idempotency_key == key)
        )
        .mappings()
        .first()
    )
    return None if row is None else _entry(row)


def requeue_dead(connection: Connection, key: str, *, now: datetime) -> None:
    """Put a ``dead`` effect back in the queue with a fresh attempt count.

    Raises :class:`EffectNotFound` when no row has ``key`` or it is not dead
    (a pending or failed row is already queued; a done one must not run again).
    """
    result = connection.execute(
        update(OUTBOX)
        .where(
            and_(
                OUTBOX.c.idempotency_key == key,
                OUTBOX.c.status == EffectStatus.DEAD.value,
            )
        )
        .values(
            status=EffectStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            updated_at=now,
        )
    )
    if result.rowcount == 1:
        return
    existing = find_effect(connection, key)
    if existing is None:
        raise EffectNotFound(key)
    raise EffectNotFound(key, f"in status dead (it is {existing.status})")


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        key=row["idempotency_key"],
        effect=row["effect"],
        upstream_id=row["upstream_id"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=_aware(row["next_attempt_at"]),
        lease_until=to_db_time(row["lease_until"]),
        last_error=row["last_error"],
        payload=row["payload"],
        created_at=_aware(row["created_at"]),
        updated_at=_aware(row["updated_at"]),
    )


def _aware(moment: datetime) -> datetime:
    aware = to_db_time(moment)
    assert aware is not None
    return aware
