"""The dispatcher: hands each due outbox row to its handler, at least once, until done or dead.

A pass (:meth:`Dispatcher.run_once`) claims due rows in short transactions,
a batch at a time, and as handler slots are free
(:mod:`orderfsm.dispatch.slots`) builds each typed :class:`Effect` and
starts its handler in a thread of its own, outside any transaction. Claims
waiting for a slot are not renewed: one whose lease ran out before its start
is given back, and a stopping pass gives back all it did not start. While
handlers run, the pass renews their leases (a heartbeat every third of the
lease), starts more for the slots that free up, and records each result in
another short transaction:

* success: ``done``;
* :class:`PermanentEffectError`, an unreadable payload, or items with no
  physical flag and no classifier: ``dead`` at once, with the reason;
* any other exception, or no return within the effect's timeout: ``failed``
  with the error, retried after an exponential backoff with jitter; ``dead``
  after ``max_attempts``. A timed-out call is abandoned, not killed (see
  :mod:`orderfsm.dispatch.slots`): if it later returns, nothing is recorded.

A crash after the handler's success and before the ``done`` mark leaves the
row claimed; once its lease expires another pass claims it again and the
handler runs a second time with the same idempotency key. That is why
handlers pass the key on: the receiver deduplicates, and the effect happens
once as far as it can tell. A result that cannot be written (the database is
down) is kept and written by the next pass, as long as the lease holds.

Effects with no registered handler are never claimed: they stay ``pending``,
never attempted rows are noted ``no handler registered`` (``last_error``, no
attempt counted), and every pass reports them (:attr:`DispatchReport.unhandled_effects`).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine as DbEngine

from orderfsm.closing import Closing
from orderfsm.dispatch.config import DispatchConfig
from orderfsm.dispatch.flights import MAX_ERROR_LENGTH, Flight, describe_error
from orderfsm.dispatch.ledger import INTERRUPTED, OutboxLedger
from orderfsm.dispatch.payloads import Undeliverable, typed_payload
from orderfsm.dispatch.registry import Classifier, Effect, HandlerRegistry
from orderfsm.dispatch.reports import (
    Delivery,
    DeliveryResult,
    DispatchReport,
    Observer,
    delivery_of,
    recorder,
)
from orderfsm.dispatch.slots import HandlerSlots
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import ensure_current, open_engine, outbox
from orderfsm.persistence.database import to_db_time, utcnow
from orderfsm.persistence.source import HoldsDatabase, database_of

POLL_S = 0.2
"""Longest rest between two looks at running handlers (a stop is seen this soon)."""

__all__ = ["INTERRUPTED", "POLL_S", "Dispatcher"]


class Dispatcher(Closing):
    """Delivers the outbox through a :class:`HandlerRegistry`; safe to run in many processes."""

    def __init__(
        self,
        database: DbEngine | HoldsDatabase,
        registry: HandlerRegistry,
        config: DispatchConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        *,
        classifier: Classifier | None = None,
    ) -> None:
        self.db = database_of(database, needed_by="the dispatcher")
        self.registry = registry
        self.config = config or DispatchConfig()
        self.classifier = classifier or registry.classifier
        self._clock = clock
        self._ledger = OutboxLedger(self.db, self.config, self.now, rng or random.Random())
        self._slots = HandlerSlots(self.config.handler_slots)
        self._flights: dict[int, Flight] = {}
        self._queued: deque[outbox.Claim] = deque()
        """Claimed rows waiting for a free slot (not renewed: checked again at their start)."""
        self._released = 0
        """Claims given back untried since the last report."""
        self._owns_db = False

    @classmethod
    def from_engine(
        cls,
        engine: DbEngine | HoldsDatabase,
        registry: HandlerRegistry,
        config: DispatchConfig | None = None,
        *,
        classifier: Classifier | None = None,
    ) -> Dispatcher:
        """A dispatcher on the database of ``engine`` (an :class:`orderfsm.Engine`)."""
        return cls(engine, registry, config, classifier=classifier)

    @classmethod
    def open(
        cls,
        url: str,
        registry: HandlerRegistry,
        config: DispatchConfig | None = None,
        *,
        classifier: Classifier | None = None,
    ) -> Dispatcher:
        """A dispatcher on the database at ``url``; refuses one whose schema is behind."""
        db = open_engine(url)
        try:
            ensure_current(db, url_for_message=url)
        except BaseException:
            db.dispose()
            raise
        dispatcher = cls(db, registry, config, classifier=classifier)
        dispatcher._owns_db = True
        return dispatcher

    def close(self) -> None:
        """Release the connections of a dispatcher made by :meth:`open` (else nothing)."""
        if self._owns_db:
            self.db.dispose()

    def now(self) -> datetime:
        """The dispatcher's clock, as aware UTC."""
        moment = to_db_time(self._clock())
        assert moment is not None
        return moment

    @property
    def in_flight(self) -> int:
        """Claimed rows whose handler still runs (or whose result waits to be written)."""
        return len(self._flights)

    def run_once(
        self, *, stop: threading.Event | None = None, observe: Observer | None = None
    ) -> DispatchReport:
        """Deliver everything due now; return what happened.

        Returns when nothing is due and no handler runs, or as soon as
        ``stop`` is set (then running handlers are left to :meth:`finish`).
        Each row is attempted at most ``max_attempts`` times, so the pass
        ends even when handlers keep failing with no backoff. Database
        errors propagate; what was decided but not written is kept for the
        next pass.
        """
        deliveries: list[Delivery] = []
        record = recorder(deliveries, observe)
        handled = [name.value for name in self.registry.names]
        while stop is None or not stop.is_set():
            seen = self._slots.ends()
            self._settle(record)
            claimed = self._start_due(handled, record)
            if not claimed and not self._flights:
                break
            if not claimed:
                self._slots.wait(self._rest(), seen=seen)
        self._release_queued()
        released = self._take_released()
        waiting = self._ledger.waiting_without_handler(handled)
        return DispatchReport.of(
            deliveries,
            unhandled=waiting,
            stuck=self._slots.abandoned(),
            released=released,
        )

    def finish(self, grace: timedelta, *, observe: Observer | None = None) -> DispatchReport:
        """Wait up to ``grace`` for running handlers, then put the rest back in line (a stop).

        A handler still running after ``grace`` is abandoned and its row is
        due again at once for any worker (the attempt is counted); the
        process may end while the call runs.
        """
        deliveries: list[Delivery] = []
        record = recorder(deliveries, observe)
        end = time.monotonic() + grace.total_seconds()
        while True:  # at least once: calls that already returned are recorded as such
            seen = self._slots.ends()
            self._settle(record)
            if not self._flights or time.monotonic() >= end:
                break
            self._slots.wait(min(self._rest(), end - time.monotonic()), seen=seen)
        for flight in list(self._flights.values()):
            if flight.verdict is None:
                self._slots.abandon(flight.call)
            self._write(flight, record, interrupted=flight.verdict is None)
        self._release_queued()
        return DispatchReport.of(
            deliveries, stuck=self._slots.abandoned(), released=self._take_released()
        )

    # -- starting ------------------------------------------------------------

    def _start_due(self, handled: list[str], record: Observer) -> int:
        """Start queued claims in the free slots, claiming a batch when none is queued."""
        if not self._queued and self._free():
            self._queued.extend(self._ledger.claim_due(handled))
        started = 0
        while self._queued and self._free():
            self._start(self._queued.popleft(), record)
            started += 1
        if self._queued and not self._flights:
            self._release_queued()  # every slot is held by a hung call: let others have them
        return started

    def _free(self) -> int:
        """Slots whose last call has returned *and been recorded* (so a crash repeats none)."""
        return self.config.handler_slots - len(self._flights) - self._slots.abandoned()

    def _release_queued(self) -> None:
        """Give back the claims no handler started (untried: their attempt is not counted)."""
        if not self._queued:
            return
        self._released += self._ledger.release(self._queued)
        self._queued.clear()

    def _take_released(self) -> int:
        released, self._released = self._released, 0
        return released

    def _start(self, claim: outbox.Claim, record: Observer) -> None:
        name = EffectName(claim.effect)
        if self.now() >= claim.lease_until:
            # Too late to start: another dispatcher may hold it now.
            self._ledger.release([claim])
            record(delivery_of(claim, DeliveryResult.LOST))
            return
        handler = self.registry.get(name)
        assert handler is not None, "only handled effects are claimed"
        try:
            payload = typed_payload(name, claim.payload, self.classifier)
        except Exception as exc:  # the host's classifier failed: an attempt like any other
            exhausted = claim.attempt >= self.config.max_attempts
            record(self._ledger.failed(claim, describe_error(exc), dead=exhausted))
            return
        if isinstance(payload, Undeliverable):
            record(self._ledger.failed(claim, payload.reason[:MAX_ERROR_LENGTH], dead=True))
            return
        if payload is None:
            note = "nothing to deliver: no items of this kind"
            record(self._ledger.done(claim, note=note))
            return
        effect = Effect(name, claim.key, payload, claim.upstream_id, claim.attempt)
        timeout = self.config.timeout_for(name)
        started = time.monotonic()
        self._flights[claim.id] = Flight(
            claim=claim,
            call=self._slots.start(handler, effect),
            deadline=started + timeout.total_seconds(),
            renew_at=started + self._renew_every(),
            timeout=timeout,
        )

    # -- running handlers ----------------------------------------------------

    def _settle(self, record: Observer) -> None:
        """Judge finished and overdue calls, write their results, renew the others' leases."""
        for flight in list(self._flights.values()):
            if flight.verdict is None:
                flight.verdict = flight.judge(
                    max_attempts=self.config.max_attempts, slots=self._slots
                )
            if flight.verdict is not None:
                self._write(flight, record)
            elif time.monotonic() >= flight.renew_at:
                self._renew(flight)

    def _write(self, flight: Flight, record: Observer, *, interrupted: bool = False) -> None:
        claim = flight.claim
        if interrupted:
            delivery = self._ledger.interrupted(claim)
        else:
            verdict = flight.verdict
            assert verdict is not None
            if verdict.error is None:
                delivery = self._ledger.done(claim)
            else:
                delivery = self._ledger.failed(claim, verdict.error, dead=verdict.dead)
        del self._flights[claim.id]
        record(delivery)

    def _renew(self, flight: Flight) -> None:
        renewed = self._ledger.renew(flight.claim)
        # A lost claim is not renewed again; its result will be refused as LOST.
        flight.renew_at = time.monotonic() + (self._renew_every() if renewed else float("inf"))
        flight.claim = renewed or flight.claim

    def _renew_every(self) -> float:
        return self.config.lease.total_seconds() / 3

    def _rest(self) -> float:
        """Seconds until a flight's deadline or renewal is due (at most :data:`POLL_S`)."""
        now = time.monotonic()
        soonest = min(
            (min(f.deadline, f.renew_at) for f in self._flights.values()), default=now + POLL_S
        )
        return max(0.0, min(POLL_S, soonest - now))
