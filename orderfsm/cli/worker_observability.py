"""The worker's JSON lines (``--log-format json``) and its metrics port (``--metrics-port``).

The worker has no HTTP server of its own: ``--metrics-port P`` starts
prometheus-client's small one (a daemon thread) on ``--metrics-host``
(127.0.0.1 unless told), serving the worker's counters only: the signals it
applied, the effect attempts it finished, its DR API calls. The database's
gauges are the receiver's (``orderfsm serve``'s ``/metrics``), so two scraped
processes never report one backlog twice.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from orderfsm.cli.logs import json_line

if TYPE_CHECKING:
    from orderfsm.observability import Metrics
    from orderfsm.service.worker_reports import WorkerReport


def json_printer() -> Callable[[WorkerReport], None]:
    """The report callback of ``worker --log-format json``: one JSON object per line on stdout."""
    from orderfsm.service.worker_records import report_record

    def show(report: WorkerReport) -> None:
        sys.stdout.write(json_line(report_record(report)) + "\n")
        sys.stdout.flush()

    return show


def json_notice(message: str, *, level: str = "info") -> None:
    """A notice of the worker's (where fulfilments go) as a JSON line on stderr."""
    time = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    line = {"time": time, "level": level, "kind": "worker.notice", "message": message}
    sys.stderr.write(json_line(line) + "\n")
    sys.stderr.flush()


def serve_worker_metrics(host: str, port: int) -> Metrics:
    """The worker's counters, served at ``http://HOST:PORT/metrics`` from now on."""
    from prometheus_client import start_http_server

    from orderfsm.observability import Metrics

    metrics = Metrics()
    try:
        start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        raise click.UsageError(
            f"--metrics-port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})"
        ) from None
    return metrics
