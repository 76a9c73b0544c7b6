"""Applying the inbox: stored webhook bodies go through the engine, one by one.

The receiver only stores what DR posts; this module does the lifecycle work
later, in a worker. One pass (:func:`apply_inbox`) claims a batch (a lease,
see :mod:`orderfsm.persistence.inbox`), applies each body with
:meth:`Engine.apply_event <orderfsm.service.Engine.apply_event>` in its own
unit of work, and marks it applied or records its error.

A failing entry never blocks the rest of the batch. What happens to it:

* :class:`~orderfsm.errors.PayloadError`: the stored bytes cannot be read, and
  the same bytes will not read better next time, so the entry is dead at
  once, with the JSON paths that failed as its error;
* any other exception: retried with exponential backoff, and dead once it
  has failed ``max_attempts`` times;
* a lost connection or an unusable database (``OperationalError``: down,
  read-only, locked, disk full) is not the entry's fault: it propagates (the
  worker loop waits and tries again) and only the lease's attempt is spent.

A pass given a ``stop`` event checks it between entries: once it is set, the
entries claimed and not yet applied are released (due again at once, their
attempt given back). Entries whose lease ran out mid-batch are left to
whichever worker holds them now.

An operator lists dead entries with ``orderfsm inbox --status dead`` and puts
one back in line with ``orderfsm inbox retry ID`` after a fix.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError

from orderfsm.errors import ConfigurationError, PayloadError, StorageError
from orderfsm.fsm.outcomes import NOT_RELEVANT
from orderfsm.persistence import inbox as store
from orderfsm.persistence.database import to_db_time, utcnow
from orderfsm.persistence.inbox import InboxEntry
from orderfsm.service import Engine

log = logging.getLogger(__name__)

"""The outcome tally key for events the lifecycle does not act on."""


@dataclass(frozen=True, slots=True)
class InboxPolicy:
    """How a worker takes and retries inbox entries."""

    batch_size: int = 100
    """Entries claimed per pass."""
    max_attempts: int = 5
    """An entry that failed this many times is dead."""
    lease: timedelta = timedelta(minutes=1)
    """How long a claim holds an entry; after that another worker may take it."""
    retry_delay: timedelta = timedelta(seconds=10)
    """Wait before the second attempt; doubled for each further one."""
    max_retry_delay: timedelta = timedelta(minutes=30)
    """The longest wait between two attempts."""

    def __post_init__(self) -> None:
        for name in ("batch_size", "max_attempts"):
            if getattr(self, name) < 1:
                raise ConfigurationError(
                    f"InboxPolicy.{name} must be at least 1, not {getattr(self, name)}"
                )
        if self.lease <= timedelta(0):
            raise ConfigurationError(f"InboxPolicy.lease must be positive, not {self.lease}")
        # A zero delay is allowed: retry at the next pass (tests, a host's own loop).
        for name in ("retry_delay", "max_retry_delay"):
            if getattr(self, name) < timedelta(0):
                raise ConfigurationError(
                    f"InboxPolicy.{name} must not be negative, not {getattr(self, name)}"
                )

    def next_attempt(self, attempts: int, now: datetime) -> datetime:
        """When an entry that failed its ``attempts``-th time is due again."""
        delay = self.retry_delay * (1 << min(max(attempts - 1, 0), 20))
        return now + min(delay, self.max_retry_delay)


@dataclass(frozen=True, slots=True)
class AppliedEntry:
    """One inbox entry a pass handled, for the worker's log lines."""

    event_id: str
    event_type: str
    upstream_id: str | None
    """The order it concerned, when the engine knew it."""
    outcome: str
    """A lifecycle outcome (``applied``, ``stale``, ...), ``not_relevant``, ``retry``, ``dead``."""
    error: str | None = None
    trigger: str | None = None
    """The lifecycle trigger the event mapped to (``None``: not relevant, or not applied)."""
    reason: str | None = None
    """Why the lifecycle decided so (a refusal's guard, ``duplicate``...), when it says."""


RETRY = "retry"
"""The outcome of an entry whose attempt failed and that is due again later."""
DEAD = "dead"
"""The outcome of an entry that failed for good."""

EntryObserver = Callable[[AppliedEntry], None]
"""Told of each entry a pass handled, as soon as its result is stored."""


@dataclass(slots=True)
class InboxReport:
    """What one or more passes did."""

    claimed: int = 0
    applied: int = 0
    retried: int = 0
    dead: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    """Lifecycle outcomes of the applied entries (``applied``, ``stale``, ..., ``not_relevant``)."""
    released: int = 0
    """Entries claimed and given back untried (a stop, or a lease that ran out)."""

    def add(self, other: InboxReport) -> None:
        """Fold another report into this one."""
        self.claimed += other.claimed
        self.applied += other.applied
        self.retried += other.retried
        self.dead += other.dead
        self.outcomes.update(other.outcomes)
        self.released += other.released


def apply_inbox(
    engine: Engine,
    policy: InboxPolicy = InboxPolicy(),
    *,
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
    observe: EntryObserver | None = None,
) -> InboxReport:
    """One pass: claim a batch of due entries and apply each through the engine."""
    report = InboxReport()
    batch = store.claim(engine.db, limit=policy.batch_size, lease=policy.lease, now=clock())
    report.claimed = len(batch)
    for index, entry in enumerate(batch):
        if (stop is not None and stop.is_set()) or _lease_over(entry, clock()):
            report.released = store.release(engine.db, batch[index:])
            break
        _apply_one(engine, entry, policy, report, clock, observe)
    return report


def drain_inbox(
    engine: Engine,
    policy: InboxPolicy = InboxPolicy(),
    *,
    max_passes: int = 100,
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
    observe: EntryObserver | None = None,
) -> InboxReport:
    """Passes until no entry is due (at most ``max_passes``), or until ``stop`` is set."""
    total = InboxReport()
    for _ in range(max_passes):
        report = apply_inbox(engine, policy, clock=clock, stop=stop, observe=observe)
        total.add(report)
        if report.claimed < policy.batch_size or (stop is not None and stop.is_set()):
            break
    return total


def _lease_over(entry: InboxEntry, now: datetime) -> bool:
    lease_until, moment = to_db_time(entry.lease_until), to_db_time(now)
    return lease_until is not None and moment is not None and moment >= lease_until


def _apply_one(
    engine: Engine,
    entry: InboxEntry,
    policy: InboxPolicy,
    report: InboxReport,
    clock: Callable[[], datetime],
    observe: EntryObserver | None,
) -> None:
    try:
        result = engine.apply_event(entry.body)
    except PayloadError as exc:
        _fail(engine, entry, str(exc), dead=True, policy=policy, report=report, now=clock())
        _tell(observe, entry, None, DEAD, str(exc))
        return
    except StorageError as exc:
        # A broken connection or an unusable database (OperationalError: unreachable,
        # a file it cannot open, a missing table) is not the entry's fault: the pass
        # fails and the worker waits it out.
        if exc.connection_lost or isinstance(exc.__cause__, OperationalError):
            raise
        _unexpected(engine, entry, exc, policy, report, clock(), observe)
        return
    except Exception as exc:
        _unexpected(engine, entry, exc, policy, report, clock(), observe)
        return
    outcome = result.outcome.value if result.outcome else NOT_RELEVANT
    store.mark_applied(
        engine.db, entry.id, now=clock(), outcome=outcome, upstream_id=result.upstream_id
    )
    report.applied += 1
    report.outcomes[outcome] += 1
    if observe is not None:
        trigger = result.trigger.value if result.trigger else None
        observe(
            AppliedEntry(
                entry.event_id,
                entry.event_type,
                result.upstream_id,
                outcome,
                trigger=trigger,
                reason=result.reason,
            )
        )


def _tell(
    observe: EntryObserver | None,
    entry: InboxEntry,
    upstream_id: str | None,
    outcome: str,
    error: str | None = None,
) -> None:
    if observe is not None:
        observe(AppliedEntry(entry.event_id, entry.event_type, upstream_id, outcome, error))


def _unexpected(
    engine: Engine,
    entry: InboxEntry,
    exc: Exception,
    policy: InboxPolicy,
    report: InboxReport,
    now: datetime,
    observe: EntryObserver | None,
) -> None:
    log.warning(
        "inbox entry %s (event %s) failed, attempt %s of %s",
        entry.id,
        entry.event_id,
        entry.attempts,
        policy.max_attempts,
        exc_info=exc,
    )
    dead = entry.attempts >= policy.max_attempts
    error = f"{type(exc).__name__}: {exc}"
    _fail(engine, entry, error, dead=dead, policy=policy, report=report, now=now)
    _tell(observe, entry, None, DEAD if dead else RETRY, error)


def _fail(
    engine: Engine,
    entry: InboxEntry,
    error: str,
    *,
    dead: bool,
    policy: InboxPolicy,
    report: InboxReport,
    now: datetime,
) -> None:
    store.record_failure(
        engine.db,
        entry.id,
        error,
        dead=dead,
        retry_at=policy.next_attempt(entry.attempts, now),
        now=now,
    )
    if dead:
        report.dead += 1
        log.warning("inbox entry %s (event %s) is dead: %s", entry.id, entry.event_id, error)
    else:
        report.retried += 1
