"""Reconciliation: DR's ``GET /events`` read into the inbox, then applied like webhooks.

DR retries a webhook for a while and then gives up; its events stay readable
for 30 days. A run pages through ``GET /events`` (``createdTime[gt]``,
``limit`` 100, ``startingAfter`` while ``hasMore``), stores each event into
the receiver's inbox (deduplicated by event id: a webhook that arrived, or a
second run, makes it a ``duplicate``), and then drains the inbox through the
worker's normal path (:func:`orderfsm.inbox.drain_inbox`).

The cursor (:mod:`orderfsm.persistence.cursors`) is advanced in the
transaction that stores a page, so a run killed at any moment resumes at its page and loses
nothing; what it stored twice is a duplicate, and the engine applies an event
once. A run without ``since`` starts at the last position minus
:attr:`ReconcilePolicy.overlap`: DR promises no order, so an event created
just before the newest one seen may appear later.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.adapters.digitalriver.models import Event
from orderfsm.adapters.digitalriver.models_api import EVENT_RETENTION, MAX_PAGE_SIZE, Received
from orderfsm.errors import ConfigurationError, DrRequestRejected
from orderfsm.inbox import InboxPolicy, drain_inbox
from orderfsm.persistence import cursors
from orderfsm.persistence.cursors import RunInProgress
from orderfsm.persistence.database import utcnow
from orderfsm.service.engine import Engine

DR_EVENT_RETENTION = EVENT_RETENTION
"""How long DR keeps events readable through ``GET /events``."""


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    """How far back a run reads."""

    overlap: timedelta = timedelta(minutes=15)
    """Read again this far behind the last position (DR promises no order)."""
    retention: timedelta = DR_EVENT_RETENTION
    """The oldest ``since`` accepted, and where a first run starts."""

    def __post_init__(self) -> None:
        if self.overlap < timedelta(0):
            raise ConfigurationError(
                f"ReconcilePolicy.overlap must not be negative, not {self.overlap}"
            )
        if self.retention <= timedelta(0):
            raise ConfigurationError(
                f"ReconcilePolicy.retention must be positive, not {self.retention}"
            )


DEFAULT_POLICY = ReconcilePolicy()
"""A 15-minute overlap, DR's 30-day retention."""


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What one run did: ``fetched N, new M, duplicates K, applied A``."""

    fetched: int
    new: int
    duplicates: int
    applied: int
    after: datetime
    """The ``createdTime[gt]`` bound the run read from."""
    resumed: bool
    """The run continued a run that had stopped mid-way."""

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        return (
            f"fetched {self.fetched}, new {self.new}, "
            f"duplicates {self.duplicates}, applied {self.applied}"
        )

    def to_json(self) -> dict[str, Any]:
        """The report as the CLI's ``--json`` prints it."""
        return {
            "fetched": self.fetched,
            "new": self.new,
            "duplicates": self.duplicates,
            "applied": self.applied,
            "after": self.after.isoformat().replace("+00:00", "Z"),
            "resumed": self.resumed,
        }


@dataclass(slots=True)
class _Tally:
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    newest: datetime | None = None
    """The newest ``createdTime`` stored (by this run, or the position it started from)."""


def reconcile(
    engine: Engine,
    client: DrClient,
    *,
    since: datetime | None = None,
    policy: ReconcilePolicy = DEFAULT_POLICY,
    inbox_policy: InboxPolicy | None = None,
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
) -> ReconcileReport:
    """Read DR's events into the inbox and apply them; see the module docstring.

    ``since`` (aware) overrides the stored cursor; one older than DR's
    retention is a :class:`~orderfsm.errors.ConfigurationError`. Once
    ``stop`` is set, the run ends after the page it is storing (the next
    run resumes there, as after a crash) or the entry it is applying.
    """
    now = clock()
    oldest = now - policy.retention
    if since is not None and since < oldest:
        raise ConfigurationError(
            f"--since {since.isoformat()} is older than DR's {policy.retention.days}-day "
            f"event retention (oldest: {oldest.isoformat(timespec='seconds')})"
        )
    stored = cursors.read_cursor(engine.db)
    run = stored.run if since is None else None
    if run is not None:
        after, starting_after, tally = run.after, run.starting_after, _Tally(newest=run.newest)
    else:
        after = since or _start(stored.position, policy, oldest)
        starting_after, tally = None, _Tally(newest=stored.position)
    resumed = run is not None
    while True:
        if stop is not None and stop.is_set():
            return ReconcileReport(
                tally.fetched, tally.new, tally.duplicates, 0, after=after, resumed=resumed
            )
        try:
            page = client.list_events(
                created_after=after, limit=MAX_PAGE_SIZE, starting_after=starting_after
            )
        except DrRequestRejected:
            if starting_after is None:
                raise
            # DR no longer knows the resume point: read the run's window again (duplicates).
            starting_after = None
            continue
        for received in page.items:
            moment = received.model.created_time
            tally.newest = moment if tally.newest is None else max(tally.newest, moment)
        more = page.has_more and page.last_id is not None
        resume = RunInProgress(after, page.last_id or "", tally.newest) if more else None
        new = cursors.store_page(engine.db, [_listed(r) for r in page.items], resume, now=clock())
        tally.fetched += len(new)
        tally.new += sum(new)
        tally.duplicates += len(new) - sum(new)
        if resume is None:
            break
        starting_after = resume.starting_after
    applied = drain_inbox(engine, inbox_policy or InboxPolicy(), clock=clock, stop=stop).applied
    cursors.finish_run(engine.db, tally.newest, now=clock())
    return ReconcileReport(
        tally.fetched, tally.new, tally.duplicates, applied, after=after, resumed=resumed
    )


def _start(position: datetime | None, policy: ReconcilePolicy, oldest: datetime) -> datetime:
    if position is None:
        return oldest
    return max(position - policy.overlap, oldest)


def _listed(received: Received[Event]) -> cursors.ListedEvent:
    body = json.dumps(received.body, separators=(",", ":"))
    return cursors.ListedEvent(received.model.id, received.model.type, body)
