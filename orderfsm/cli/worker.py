"""``orderfsm worker``: parse the options, run :func:`~orderfsm.service.worker.run_worker`, print.

Everything the worker does arrives as a typed report; each is printed as one
timestamped line built as rich :class:`~rich.text.Text`, never parsed as
markup, so an event id like ``evt-[/x]-1`` prints as it is.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

import click

from orderfsm.cli.logs import LogFormat, log_format_option
from orderfsm.cli.options import db_option, dr_api_options
from orderfsm.cli.redact import redact
from orderfsm.cli.text import plain
from orderfsm.cli.worker_upkeep import upkeep_from_options, upkeep_options

if TYPE_CHECKING:
    from rich.console import Console

    from orderfsm.fsm.effects import EffectName
    from orderfsm.service.worker_reports import WorkerReport

# The engine's stack (dispatch, service, SQLAlchemy) is imported where a worker
# runs, not here: `orderfsm worker --help` reads only these defaults, which
# tests/architecture checks against WorkerConfig() and DispatchConfig().
DEFAULT_INTERVAL_SECONDS = 2.0
"""``WorkerConfig().interval``."""
DEFAULT_MAX_ATTEMPTS = 8
"""``DispatchConfig().max_attempts``."""
DEFAULT_LEASE_SECONDS = 60.0
"""``WorkerConfig().dispatch.lease``."""
DEFAULT_HANDLER_TIMEOUT_SECONDS = 300.0
"""``WorkerConfig().dispatch.handler_timeout``."""
DEFAULT_HANDLER_SLOTS = 4
"""``WorkerConfig().dispatch.handler_slots``."""
DEFAULT_GRACE_SECONDS = 10.0
"""``WorkerConfig().grace``."""

SINK_SCHEMES = ("jsonl",)


def printer(console: Console) -> Callable[[WorkerReport], None]:
    """The report callback of ``orderfsm worker``: one plain-text line per report."""

    from orderfsm.service.upkeep import StepFailed
    from orderfsm.service.worker_reports import (
        EffectsPassed,
        NoHandler,
        Outage,
        describe,
        timestamp,
    )

    def show(report: WorkerReport) -> None:
        style = "red" if isinstance(report, Outage | StepFailed) else ""
        style = "yellow" if isinstance(report, NoHandler) else style
        # An outage's line carries the database's own message: hide any password in it.
        console.print(plain(redact(describe(report)), style), soft_wrap=True)
        if isinstance(report, EffectsPassed) and report.report.unhandled:
            waiting = report.report
            line = f"{timestamp(report.at)} {waiting.unhandled} effect(s) wait with no handler: "
            console.print(plain(line + ", ".join(waiting.unhandled_keys), "yellow"), soft_wrap=True)

    return show


def parse_timeouts(values: Sequence[str]) -> dict[EffectName, timedelta]:
    """``NAME=SECONDS`` pairs of ``--timeout`` as handler timeouts by effect name."""
    from orderfsm.fsm.effects import EffectName

    timeouts: dict[EffectName, timedelta] = {}
    for value in values:
        name, _, seconds = value.partition("=")
        try:
            effect = EffectName(name)
            timeout = float(seconds)
        except ValueError:
            raise click.BadParameter(
                f"{value!r}: expected EFFECT=SECONDS with an effect name and a number",
                param_hint="'--timeout'",
            ) from None
        if not timeout > 0:
            raise click.BadParameter(f"{value!r}: seconds must be > 0", param_hint="'--timeout'")
        timeouts[effect] = timedelta(seconds=timeout)
    return timeouts


def _seconds(minimum: float = 0.01) -> click.FloatRange:
    return click.FloatRange(min=minimum)


@click.command("worker")
@db_option
@dr_api_options
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
@click.option(
    "--sink",
    "sinks",
    multiple=True,
    metavar="jsonl:PATH",
    help="Deliver every effect without another handler to this sink (JSON lines file).",
)
@click.option(
    "--handlers",
    "handler_refs",
    multiple=True,
    metavar="MODULE:NAME",
    help="A HandlerRegistry, or a function filling one, to take handlers from "
    "(importable from the current folder).",
)
@click.option(
    "--classifier",
    "classifier_ref",
    metavar="physical|digital|MODULE:NAME",
    help="What becomes of items DR sent without a physical flag (non-expanded events): "
    "physical ships them, digital delivers them digitally, MODULE:NAME is a function "
    "taking the item and returning True to ship it. Without it such effects go dead.",
)
@click.option(
    "--interval",
    type=_seconds(),
    default=DEFAULT_INTERVAL_SECONDS,
    show_default=True,
    help="Seconds to rest when nothing was due.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_ATTEMPTS,
    show_default=True,
    help="Attempts before an effect is dead.",
)
@click.option(
    "--lease",
    type=_seconds(1.0),
    default=DEFAULT_LEASE_SECONDS,
    show_default=True,
    help="Seconds a claim holds an inbox entry or effect unrenewed: after a crash, "
    "another worker takes them this soon (renewed while a handler runs).",
)
@click.option(
    "--handler-timeout",
    type=_seconds(),
    default=DEFAULT_HANDLER_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds a handler may run; past it the attempt failed and is retried.",
)
@click.option(
    "--timeout",
    "timeouts",
    multiple=True,
    metavar="EFFECT=SECONDS",
    help="The handler timeout of one effect, e.g. request_shipment=60 (repeatable).",
)
@click.option(
    "--handler-slots",
    type=click.IntRange(min=1),
    default=DEFAULT_HANDLER_SLOTS,
    show_default=True,
    help="Handlers running at once (a timed-out handler keeps its slot until it returns).",
)
@click.option(
    "--grace",
    type=_seconds(0.0),
    default=DEFAULT_GRACE_SECONDS,
    show_default=True,
    help="On SIGTERM/Ctrl-C: seconds running handlers get before their effects are put back.",
)
@log_format_option
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    help="Serve the worker's counters (signals, effect attempts, DR calls) for Prometheus "
    "at http://--metrics-host:PORT/metrics.",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="Interface of --metrics-port.",
)
@upkeep_options
def worker(
    db_url: str,
    dr_url: str,
    dr_key: str | None,
    once: bool,
    sinks: tuple[str, ...],
    handler_refs: tuple[str, ...],
    classifier_ref: str | None,
    interval: float,
    max_attempts: int,
    lease: float,
    handler_timeout: float,
    timeouts: tuple[str, ...],
    handler_slots: int,
    grace: float,
    log_format: LogFormat,
    metrics_port: int | None,
    metrics_host: str,
    reconcile_every: timedelta | None,
    stuck_every: timedelta | None,
    refresh_stuck: bool,
    deadlines: dict[str, timedelta],
) -> None:
    """Apply stored webhooks and deliver the outbox's effects to handlers.

    The inbox (what `orderfsm serve` stored) is applied through the
    lifecycle while, independently, due effects are delivered with retries,
    timeouts and dead-lettering. Effects with no handler stay pending and are
    reported. When the database is unreachable the worker waits and retries.
    SIGTERM or Ctrl-C stops it within about --grace seconds: effects it
    claimed go back in line for another worker. With --dr-key (and --dr-url)
    it reports the platform's fulfilments to DR (POST /fulfillments), and
    --reconcile-every reads the events whose webhooks were lost from DR; a
    stuck scan (--stuck-every, by default as often) tells the operator of
    orders past their deadline (notify_operator_stuck, once per order and state).

    \b
    Example:
      orderfsm worker --db sqlite:///shop.db --once --sink jsonl:effects.jsonl
      orderfsm worker --db postgresql://... --handlers myshop.effects:registry
      orderfsm worker --db postgresql://... --lease 30 --timeout request_shipment=60
      orderfsm worker --db postgresql://... --classifier physical --sink jsonl:effects.jsonl
      orderfsm worker --db postgresql://... --log-format json --metrics-port 9108
      orderfsm worker --db postgresql://... --dr-key sk_... --reconcile-every 10m --refresh-stuck
    """
    # Imported here: `orderfsm worker --help` needs none of the engine's stack.
    from rich.console import Console

    from orderfsm.cli.logs import log_to_terminal
    from orderfsm.cli.worker_dr import dr_fulfilments
    from orderfsm.cli.worker_handlers import add_sinks, build_registry, load_classifier
    from orderfsm.cli.worker_observability import json_notice, json_printer, serve_worker_metrics
    from orderfsm.dispatch import DispatchConfig
    from orderfsm.heap import frozen_once_started
    from orderfsm.inbox import InboxPolicy
    from orderfsm.service.worker import WorkerConfig, run_worker
    from orderfsm.service.worker_reports import Started

    console = Console(highlight=False)
    registry = build_registry(handler_refs, ())
    classifier = load_classifier(classifier_ref) if classifier_ref else None
    config = WorkerConfig(
        dispatch=DispatchConfig(
            max_attempts=max_attempts,
            handler_timeout=timedelta(seconds=handler_timeout),
            handler_timeouts=parse_timeouts(timeouts),
            handler_slots=handler_slots,
        ),
        inbox=InboxPolicy(),
        interval=timedelta(seconds=interval),
        grace=timedelta(seconds=grace),
        once=once,
    ).with_lease(timedelta(seconds=lease))
    stop = threading.Event()
    _stop_on_signals(stop)
    log_to_terminal(log_format=log_format)
    json_logs = log_format is LogFormat.JSON
    metrics = serve_worker_metrics(metrics_host, metrics_port) if metrics_port else None
    periodic = upkeep_from_options(
        reconcile_every,
        stuck_every,
        refresh_stuck,
        deadlines,
        dr_url,
        dr_key,
        on_call=metrics.dr_call if metrics else None,
    )
    with (
        dr_fulfilments(
            registry,
            dr_url,
            dr_key,
            on_call=metrics.dr_call if metrics else None,
            say=json_notice if json_logs else None,
        ) as dr_notice,
        periodic as upkeep,
        frozen_once_started() as freeze_startup_heap,
    ):
        add_sinks(registry, sinks)  # after the DR handler: the sink takes only the rest
        show = json_printer() if json_logs else printer(console)

        def on_report(report: WorkerReport) -> None:
            show(report)
            if metrics is not None:
                metrics.worker_report(report)
            if isinstance(report, Started):  # the database is open: say where fulfilments go
                dr_notice()
                freeze_startup_heap()  # as serve's workers: later collections skip the startup heap

        run_worker(
            db_url,
            registry,
            config,
            stop=stop,
            on_report=on_report,
            classifier=classifier,
            upkeep=upkeep,
        )


def _stop_on_signals(stop: threading.Event) -> None:
    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
