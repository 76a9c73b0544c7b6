"""orderfsm's Prometheus counters, in a registry of their own.

:class:`Metrics` never touches prometheus-client's global registry, so a host
that embeds orderfsm keeps its own ``/metrics`` as it was; it may pass its
registry to have both in one page. The counters move where the work is done:

* the receiver counts the webhooks it answered (``orderfsm serve``: the
  middleware of :mod:`orderfsm.adapters.http.metrics`);
* the worker counts the signals it applied from the inbox and the effect
  attempts it finished (its reports, :meth:`Metrics.worker_report`);
* the DR client counts every request it sends (:meth:`Metrics.dr_call` as
  the client's ``on_call``).

What the database holds (orders per state, stuck orders, the backlog) is read
at scrape time by :class:`~orderfsm.observability.database.DatabaseCollector`
(:meth:`Metrics.watch_database`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter

from orderfsm.adapters.digitalriver.api_calls import DrCall
from orderfsm.dispatch import Delivery
from orderfsm.fsm.states import OrderState
from orderfsm.inbox import AppliedEntry
from orderfsm.observability.database import DEFAULT_MAX_AGE, DatabaseCollector, DatabaseSource
from orderfsm.service.worker_reports import EffectHandled, EntryHandled, WorkerReport

NO_TRIGGER = "none"
"""The ``trigger`` label of an entry the lifecycle had nothing to do with (or that failed)."""

KNOWN_ANSWERS: tuple[tuple[int, str], ...] = (
    (202, "stored"),
    (202, "duplicate"),
    (400, "payload"),
    (401, "signature"),
    (401, "authentication"),
    (408, "timeout"),
    (413, "too_large"),
    (503, "storage"),
)
"""The receiver's answers, shown at 0 from the start (so ``rate()`` sees the first one)."""


class Metrics:
    """The counters of one process; thread-safe (prometheus-client's own locks)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        """Where the counters live (served by :mod:`orderfsm.observability.asgi`)."""
        self.webhooks = Counter(
            "orderfsm_webhooks_received",
            "Webhook deliveries the receiver answered, by HTTP status and answer "
            "(stored, duplicate, or the refusal: signature, payload, ...).",
            ["code", "answer"],
            registry=self.registry,
        )
        self.signals = Counter(
            "orderfsm_signals",
            "Inbox entries run through the lifecycle, by trigger and outcome "
            "(applied, stale, duplicate, refused, terminal, parked, not_relevant; retry, dead).",
            ["trigger", "outcome"],
            registry=self.registry,
        )
        self.effects = Counter(
            "orderfsm_effect_attempts",
            "Effect deliveries finished, by effect and result (done, retried, dead, lost, "
            "interrupted).",
            ["effect", "result"],
            registry=self.registry,
        )
        self.dr_calls = Counter(
            "orderfsm_dr_api_calls",
            "Requests sent to the Digital River API (each retry counted), by method, "
            "path template and HTTP status (or connect_failed, timeout, broken).",
            ["method", "endpoint", "status"],
            registry=self.registry,
        )
        for code, answer in KNOWN_ANSWERS:
            self.webhooks.labels(str(code), answer)

    def webhook_answered(self, code: int, answer: str) -> None:
        """The receiver answered one delivery."""
        self.webhooks.labels(str(code), answer).inc()

    def entry_handled(self, entry: AppliedEntry) -> None:
        """The worker ran one inbox entry through the lifecycle."""
        self.signals.labels(entry.trigger or NO_TRIGGER, entry.outcome).inc()

    def effect_finished(self, delivery: Delivery) -> None:
        """The worker finished one effect attempt."""
        self.effects.labels(delivery.effect.value, delivery.result.value).inc()

    def dr_call(self, call: DrCall) -> None:
        """The DR client sent one request: pass this as ``DrClient(on_call=...)``."""
        self.dr_calls.labels(call.method, call.endpoint, call.status).inc()

    def worker_report(self, report: WorkerReport) -> None:
        """Count what a worker report says (pass it on from ``run_worker``'s ``on_report``)."""
        if isinstance(report, EntryHandled):
            self.entry_handled(report.entry)
        elif isinstance(report, EffectHandled):
            self.effect_finished(report.delivery)

    def watch_database(
        self,
        database: DatabaseSource,
        *,
        deadlines: Mapping[OrderState, timedelta] | None = None,
        max_age: timedelta = DEFAULT_MAX_AGE,
    ) -> DatabaseCollector:
        """Add the database's gauges, read at scrape time (at most once per ``max_age``)."""
        collector = DatabaseCollector(database, deadlines=deadlines, max_age=max_age)
        self.registry.register(collector)
        return collector
