"""Metrics (prometheus-client): counters where the work is done, gauges read from the database.

* :class:`Metrics` (:mod:`.metrics`): the counters of one process in a
  ``CollectorRegistry`` of their own (never prometheus-client's global one);
* :class:`DatabaseCollector` (:mod:`.database`): orders per state, stuck
  orders, the inbox and outbox backlog and their oldest entry, read when
  scraped (cached for a few seconds);
* :mod:`.asgi`: ``GET /metrics`` for any Starlette app (needs the ``server``
  extra); :mod:`orderfsm.adapters.http.metrics` puts it on the receiver;
* :mod:`.log_records`: the worker's reports as the fields of JSON log lines.

``import orderfsm`` loads none of this (nor prometheus-client).
"""

from orderfsm.observability.database import DEFAULT_MAX_AGE, DatabaseCollector
from orderfsm.observability.metrics import Metrics

__all__ = ["DEFAULT_MAX_AGE", "DatabaseCollector", "Metrics"]
