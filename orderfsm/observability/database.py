"""The database's gauges, read when Prometheus scrapes: orders per state, stuck orders, backlog.

Reading happens in the scrape (:meth:`DatabaseCollector.collect`), never on
a timer, and at most once per ``max_age`` (default 5 s): two Prometheus
servers, or a console refreshing its page, cost one read. The read is four
aggregate statements in one read-only transaction
(:func:`orderfsm.persistence.gauges.read_gauges` says what each costs;
docs/architecture.md gives measured times). A database that cannot be read
shows as ``orderfsm_database_up 0`` and no other gauge, and the scrape
itself still answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine as DbEngine

from orderfsm.fsm.states import OrderState
from orderfsm.persistence import open_engine
from orderfsm.persistence.database import OUTAGE_ERRORS, READ_ONLY_OPTION, utcnow
from orderfsm.persistence.gauges import DatabaseGauges, read_gauges
from orderfsm.service.stuck import deadlines_with

log = logging.getLogger(__name__)

DatabaseSource = str | DbEngine
"""A database URL (opened on the first scrape, closed by :meth:`DatabaseCollector.close`)
or an engine the caller owns."""

DEFAULT_MAX_AGE = timedelta(seconds=5)
"""How long one read of the database answers scrapes."""


class DatabaseCollector:
    """A prometheus-client collector of the gauges the database holds."""

    def __init__(
        self,
        database: DatabaseSource,
        *,
        deadlines: Mapping[OrderState, timedelta] | None = None,
        max_age: timedelta = DEFAULT_MAX_AGE,
    ) -> None:
        self._given = database
        self._engine = database if isinstance(database, DbEngine) else None
        self.deadlines = deadlines_with(deadlines)
        self.max_age = max_age
        self._lock = threading.Lock()
        self._read: tuple[float, DatabaseGauges | None, float] | None = None
        """(monotonic time of the read, what it found or None if it failed, seconds it took)."""

    def close(self) -> None:
        """Close the connections this collector opened itself."""
        if isinstance(self._given, str) and self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def describe(self) -> Iterator[Metric]:
        """The families, without reading the database (called when registered)."""
        yield from _families(None, utcnow(), self.deadlines, 0.0, up=True)

    def collect(self) -> Iterator[Metric]:
        """The gauges, read now or at most ``max_age`` ago."""
        gauges, seconds = self.read()
        yield from _families(gauges, utcnow(), self.deadlines, seconds, up=gauges is not None)

    def read(self) -> tuple[DatabaseGauges | None, float]:
        """The latest gauges (``None`` when the database cannot be read) and the read's seconds."""
        with self._lock:
            now = time.monotonic()
            if self._read is None or now - self._read[0] >= self.max_age.total_seconds():
                self._read = (now, *self._read_now())
            _, gauges, seconds = self._read
            return gauges, seconds

    def _read_now(self) -> tuple[DatabaseGauges | None, float]:
        started = time.perf_counter()
        try:
            if self._engine is None:
                assert isinstance(self._given, str)
                self._engine = open_engine(self._given)
            connection = self._engine.connect().execution_options(**{READ_ONLY_OPTION: True})
            with connection, connection.begin():
                gauges = read_gauges(connection, now=utcnow(), deadlines=self.deadlines)
        except OUTAGE_ERRORS as exc:
            # The type only: a database's message may carry its URL.
            log.warning("metrics: the database could not be read (%s)", type(exc).__name__)
            return None, time.perf_counter() - started
        return gauges, time.perf_counter() - started


def _families(
    gauges: DatabaseGauges | None,
    now: datetime,
    deadlines: Mapping[OrderState, timedelta],
    seconds: float,
    *,
    up: bool,
) -> Iterator[Metric]:
    database_up = GaugeMetricFamily(
        "orderfsm_database_up", "1 when the last scrape could read the database, else 0."
    )
    database_up.add_metric([], 1 if up else 0)
    yield database_up
    took = GaugeMetricFamily(
        "orderfsm_database_read_seconds", "How long the last read of the gauges below took."
    )
    took.add_metric([], seconds)
    yield took
    orders = GaugeMetricFamily("orderfsm_orders", "Orders in each state.", labels=["state"])
    stuck = GaugeMetricFamily(
        "orderfsm_orders_stuck",
        "Orders waiting in their state longer than its deadline (as `orderfsm stuck`).",
        labels=["state"],
    )
    inbox = GaugeMetricFamily(
        "orderfsm_inbox_entries",
        "Inbox entries not applied: received (waiting or to retry) and dead.",
        labels=["status"],
    )
    outbox = GaugeMetricFamily(
        "orderfsm_outbox_effects",
        "Effects not done: pending, failed (to retry) and dead.",
        labels=["status"],
    )
    inbox_age = GaugeMetricFamily(
        "orderfsm_inbox_oldest_waiting_seconds",
        "Age of the oldest inbox entry still to apply (0 when none waits).",
    )
    outbox_age = GaugeMetricFamily(
        "orderfsm_outbox_oldest_waiting_seconds",
        "Age of the oldest effect still to deliver, pending or failed (0 when none waits).",
    )
    if gauges is not None:
        for state, count in gauges.orders.items():
            orders.add_metric([state.value], count)
        for state in deadlines:
            stuck.add_metric([state.value], gauges.stuck.get(state, 0))
        for status, count in gauges.inbox.items():
            inbox.add_metric([status.value], count)
        for effect_status, count in gauges.outbox.items():
            outbox.add_metric([effect_status.value], count)
        inbox_age.add_metric([], _age(gauges.oldest_inbox, now))
        outbox_age.add_metric([], _age(gauges.oldest_outbox, now))
    yield from (orders, stuck, inbox, outbox, inbox_age, outbox_age)


def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0
