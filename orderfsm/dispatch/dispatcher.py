"""The dispatcher: hands each due outbox row to its handler, at least once, until done or dead.

One pass (:meth:`Dispatcher.run_once`) repeats until nothing is due: claim a
batch in a short transaction, then for each claimed row, outside any
transaction, build the typed :class:`Effect`, call the handler, and record
the result in another short transaction:

* success: ``done``;
* :class:`PermanentEffectError`, an unreadable payload, or items with no
  physical flag and no classifier: ``dead`` at once, with the reason;
* any other exception: ``failed`` with the error, retried after an
  exponential backoff with jitter; ``dead`` after ``max_attempts``.

A crash after the handler's success and before the ``done`` mark leaves the
row claimed; once its lease expires another pass claims it again and the
handler runs a second time with the same idempotency key. That is why
handlers pass the key on: the receiver deduplicates, and the effect happens
once as far as it can tell.

Effects with no registered handler are never claimed: they stay ``pending``
and every pass reports them (:attr:`DispatchReport.unhandled_keys`).
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import TracebackType

from pydantic import ValidationError
from sqlalchemy import Engine as DbEngine

from orderfsm.dispatch.config import DispatchConfig, DispatchReport
from orderfsm.dispatch.registry import Classifier, Effect, HandlerRegistry
from orderfsm.effects import (
    PAYLOAD_TYPES,
    DigitalDelivery,
    EffectPayload,
    ShipmentRequest,
)
from orderfsm.errors import OrderFsmError, PermanentEffectError
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import ensure_current, open_engine, outbox
from orderfsm.persistence.database import to_db_time, utcnow
from orderfsm.persistence.source import HoldsDatabase, database_of

MAX_ERROR_LENGTH = 2_000
"""Longer error texts are cut (the column is for operators, not for logs)."""

DEFAULT_CONFIG = DispatchConfig()
"""The settings of a dispatcher given none."""


class _Result(Enum):
    """What became of one claimed row."""

    DONE = "done"
    RETRIED = "retried"
    DEAD = "dead"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class _Unusable:
    """A claimed row no attempt can deliver (unreadable payload, unclassifiable item)."""

    reason: str


class Dispatcher:
    """Delivers the outbox through a :class:`HandlerRegistry`; safe to run in many processes.

    Open it on the database the engine uses: ``Dispatcher(engine, registry)``
    or :meth:`from_engine` with an :class:`orderfsm.Engine` (or a SQLAlchemy
    engine), or :meth:`open` with a URL (the dispatcher then owns the
    connections: close it, or use it as a context manager).

    Which classifier settles items DR sent without a physical flag: the one
    given here (``classifier=``, which ``orderfsm worker --classifier`` passes)
    wins over the registry's (``HandlerRegistry(classifier=)``); the registry's
    applies when none is given here.
    """

    def __init__(
        self,
        database: DbEngine | HoldsDatabase,
        registry: HandlerRegistry,
        config: DispatchConfig = DEFAULT_CONFIG,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        *,
        classifier: Classifier | None = None,
    ) -> None:
        self.db = database_of(database, needed_by="the dispatcher")
        self.registry = registry
        self.config = config
        self.classifier = classifier or registry.classifier
        self._clock = clock
        self._rng = rng or random.Random()
        self._owns_db = False

    @classmethod
    def from_engine(
        cls,
        engine: DbEngine | HoldsDatabase,
        registry: HandlerRegistry,
        config: DispatchConfig = DEFAULT_CONFIG,
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
        config: DispatchConfig = DEFAULT_CONFIG,
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

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def now(self) -> datetime:
        """The dispatcher's clock, as aware UTC."""
        moment = to_db_time(self._clock())
        assert moment is not None
        return moment

    def run_once(self) -> DispatchReport:
        """Deliver everything due now; return what happened.

        Each claimed row is attempted at most ``max_attempts`` times, so the
        pass ends even when handlers keep failing with no backoff.
        """
        results: dict[_Result, list[str]] = {result: [] for result in _Result}
        handled = [name.value for name in self.registry.names]
        while True:
            now = self.now()
            with self.db.begin() as connection:
                claims = outbox.claim_due(
                    connection,
                    effects=handled,
                    now=now,
                    lease_until=now + self.config.lease,
                    limit=self.config.batch_size,
                )
            if not claims:
                break
            for claim in claims:
                results[self._deliver(claim)].append(claim.key)
        with self.db.begin() as connection:
            count, keys = outbox.waiting_without_handler(
                connection, handled, limit=self.config.unhandled_keys_listed
            )
        return DispatchReport(
            done=len(results[_Result.DONE]),
            retried=len(results[_Result.RETRIED]),
            dead=len(results[_Result.DEAD]),
            lost=len(results[_Result.LOST]),
            unhandled=count,
            unhandled_keys=tuple(keys),
            done_keys=tuple(results[_Result.DONE]),
            dead_keys=tuple(results[_Result.DEAD]),
        )

    # -- one claimed row ------------------------------------------------------

    def _deliver(self, claim: outbox.Claim) -> _Result:
        if self.now() >= claim.lease_until:
            # Too late to start: another dispatcher may hold it now.
            with self.db.begin() as connection:
                outbox.release(connection, claim, now=self.now())
            return _Result.LOST
        name = EffectName(claim.effect)
        handler = self.registry.get(name)
        assert handler is not None, "only handled effects are claimed"
        try:
            # The host's classifier runs here too: its failures are retried like a handler's.
            payload = self._payload(name, claim)
            if isinstance(payload, EffectPayload):
                handler(Effect(name, claim.key, payload, claim.upstream_id, claim.attempt))
        except PermanentEffectError as exc:
            return self._finish_failed(claim, _describe(exc), dead=True)
        except Exception as exc:
            dead = claim.attempt >= self.config.max_attempts
            return self._finish_failed(claim, _describe(exc), dead=dead)
        if isinstance(payload, _Unusable):
            return self._finish_failed(claim, payload.reason[:MAX_ERROR_LENGTH], dead=True)
        if payload is None:
            return self._finish_done(claim, note="nothing to deliver: no items of this kind")
        return self._finish_done(claim)

    def _payload(self, name: EffectName, claim: outbox.Claim) -> EffectPayload | _Unusable | None:
        """The typed payload, unknown items classified; ``None`` if no item is left."""
        try:
            payload = PAYLOAD_TYPES[name].model_validate(claim.payload)
        except ValidationError as exc:
            return _Unusable(f"payload unreadable as {name.value}: {exc}")
        if not isinstance(payload, ShipmentRequest | DigitalDelivery):
            return payload
        wanted = isinstance(payload, ShipmentRequest)
        kept = []
        for item in payload.items:
            physical = item.physical
            if physical is None:
                if self.classifier is None:
                    return _Unusable(
                        f"item {item.id} has no physical flag (non-expanded event) "
                        "and no classifier is configured"
                    )
                physical = bool(self.classifier(item))
                item = item.model_copy(update={"physical": physical})
            if physical is wanted:
                kept.append(item)
        if not kept:
            return None
        return payload.model_copy(update={"items": tuple(kept)})

    def _finish_done(self, claim: outbox.Claim, note: str | None = None) -> _Result:
        with self.db.begin() as connection:
            if not outbox.mark_done(connection, claim, now=self.now(), note=note):
                return _Result.LOST
        return _Result.DONE

    def _finish_failed(self, claim: outbox.Claim, error: str, *, dead: bool) -> _Result:
        now = self.now()
        retry_at = None if dead else now + self.config.delay(claim.attempt, self._rng.random())
        with self.db.begin() as connection:
            if not outbox.mark_failed(connection, claim, now=now, error=error, retry_at=retry_at):
                return _Result.LOST
        return _Result.DEAD if dead else _Result.RETRIED


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OrderFsmError):
        text = str(exc)  # our own errors' messages already say what failed
    else:
        text = "".join(traceback.format_exception_only(exc)).strip()
    return text[:MAX_ERROR_LENGTH]
