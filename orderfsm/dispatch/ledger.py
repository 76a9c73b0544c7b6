"""The dispatcher's outbox work: claims and each claim's fate, one short transaction each.

:class:`OutboxLedger` is all :class:`~orderfsm.dispatch.dispatcher.Dispatcher`
knows of the outbox: claim a batch of due rows, then mark each done, failed
(retried after a backoff with jitter, or dead), interrupted by a stop, renew
its lease, or give it back untried. A write the claim's lease no longer covers is refused
by the outbox and reported as :attr:`DeliveryResult.LOST`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import Engine as DbEngine

from orderfsm.dispatch.config import DispatchConfig
from orderfsm.dispatch.reports import Delivery, DeliveryResult, delivery_of
from orderfsm.persistence import outbox, unhandled

INTERRUPTED = "interrupted: the worker stopped while the handler ran; due again at once"
"""The error recorded on a row whose handler was still running when the worker stopped."""


class OutboxLedger:
    """Records the results of claimed outbox rows for one dispatcher."""

    def __init__(
        self,
        db: DbEngine,
        config: DispatchConfig,
        now: Callable[[], datetime],
        rng: random.Random,
    ) -> None:
        self._db = db
        self._config = config
        self._now = now
        self._rng = rng

    def claim_due(self, effects: list[str]) -> list[outbox.Claim]:
        """Claim a batch of due rows of the handled ``effects``, leased for the configured lease."""
        now = self._now()
        with self._db.begin() as connection:
            return outbox.claim_due(
                connection,
                effects=effects,
                now=now,
                lease_until=now + self._config.lease,
                limit=self._config.batch_size,
            )

    def waiting_without_handler(self, effects: list[str]) -> unhandled.Unhandled:
        """The rows no handler of ``effects`` takes, noted :data:`~outbox.NO_HANDLER`."""
        with self._db.begin() as connection:
            waiting = unhandled.waiting_without_handler(
                connection, effects, limit=self._config.unhandled_keys_listed
            )
            if waiting.count:
                unhandled.mark_unhandled(connection, effects)
        return waiting

    def done(self, claim: outbox.Claim, note: str | None = None) -> Delivery:
        """Mark the row delivered (``note`` says why when nothing had to be delivered)."""
        with self._db.begin() as connection:
            if not outbox.mark_done(connection, claim, now=self._now(), note=note):
                return delivery_of(claim, DeliveryResult.LOST)
        return delivery_of(claim, DeliveryResult.DONE, note)

    def failed(self, claim: outbox.Claim, error: str, *, dead: bool) -> Delivery:
        """Record a failed attempt: due again after the backoff, or dead."""
        now = self._now()
        retry_at = None if dead else now + self._config.delay(claim.attempt, self._rng.random())
        with self._db.begin() as connection:
            if not outbox.mark_failed(connection, claim, now=now, error=error, retry_at=retry_at):
                return delivery_of(claim, DeliveryResult.LOST, error)
        return delivery_of(claim, DeliveryResult.DEAD if dead else DeliveryResult.RETRIED, error)

    def interrupted(self, claim: outbox.Claim) -> Delivery:
        """Put a row whose handler ran at a stop back in line, due at once (attempt counted)."""
        now = self._now()
        with self._db.begin() as connection:
            kept = outbox.mark_failed(connection, claim, now=now, error=INTERRUPTED, retry_at=now)
        result = DeliveryResult.INTERRUPTED if kept else DeliveryResult.LOST
        return delivery_of(claim, result, INTERRUPTED)

    def renew(self, claim: outbox.Claim) -> outbox.Claim | None:
        """Extend the claim's lease by the configured lease; ``None`` when it was lost."""
        now = self._now()
        with self._db.begin() as connection:
            return outbox.extend(connection, claim, lease_until=now + self._config.lease, now=now)

    def release(self, claims: Iterable[outbox.Claim]) -> int:
        """Give back claims no handler started (untried: not counted); how many were still held."""
        now = self._now()
        with self._db.begin() as connection:
            return sum(outbox.release(connection, claim, now=now) for claim in claims)
