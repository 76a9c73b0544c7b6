"""``orderfsm worker``: run the background steps (inbox, then outbox) in a loop or once.

The loop is :func:`run_steps` over a list of steps; each step does what is due
and says how much it did. A new kind of background work is one more step in
:func:`worker_steps`.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

import click
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine

from orderfsm.adapters.handlers import JsonlSink
from orderfsm.cli.inbox import inbox_step
from orderfsm.cli.logs import log_to_terminal
from orderfsm.cli.options import db_option
from orderfsm.cli.redact import redact
from orderfsm.cli.text import joined, plain
from orderfsm.dispatch import (
    BUILT_IN_CLASSIFIERS,
    Classifier,
    DispatchConfig,
    Dispatcher,
    DispatchReport,
    HandlerRegistry,
)
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import ensure_current, open_engine

Step = Callable[[], int]
"""One kind of background work: does what is due, returns how many items it handled."""

SINK_SCHEMES = ("jsonl",)


def run_steps(
    steps: Sequence[Step],
    *,
    once: bool,
    interval: float,
    stop: threading.Event,
    on_error: Callable[[Exception], None] | None = None,
) -> None:
    """Run every step in turn; repeat until ``stop`` is set (or once), resting when idle.

    In a loop, a step that raises (the database restarting, say) is reported
    through ``on_error`` and the loop rests before the next round, rather
    than ending the worker; with ``once`` (or no ``on_error``) the error ends it.
    """
    while not stop.is_set():
        busy = 0
        try:
            for step in steps:
                if stop.is_set():
                    return
                busy += step()
        except Exception as exc:
            if once or on_error is None:
                raise
            on_error(exc)
            busy = 0
        if once:
            return
        if not busy:
            stop.wait(interval)


def dispatch_step(dispatcher: Dispatcher, console: Console, *, verbose: bool) -> Step:
    """The step that delivers due effects and reports what it did."""
    last_unhandled: list[tuple[str, ...]] = [()]

    def step() -> int:
        report = dispatcher.run_once()
        if report.handled or report.lost or verbose:
            console.print(plain(describe(report)))
        if report.unhandled_keys != last_unhandled[0] and report.unhandled:
            console.print(
                joined(
                    (f"{report.unhandled} effect(s) wait with no handler: ", "yellow"),
                    plain(", ".join(report.unhandled_keys)),
                )
            )
        last_unhandled[0] = report.unhandled_keys
        return report.handled

    return step


def describe(report: DispatchReport) -> str:
    """One line for a dispatch pass."""
    line = f"effects: {report.done} done, {report.retried} retried, {report.dead} dead"
    if report.lost:
        line += f", {report.lost} taken over by another worker"
    return line


def worker_steps(db: Engine, dispatcher: Dispatcher, console: Console, *, once: bool) -> list[Step]:
    """The worker's steps, in the order each round runs them."""
    return [
        inbox_step(db, console, verbose=once),
        dispatch_step(dispatcher, console, verbose=once),
    ]


@click.command("worker")
@db_option
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
    type=click.FloatRange(min=0.01),
    default=2.0,
    show_default=True,
    help="Seconds to rest when nothing was due.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=DispatchConfig().max_attempts,
    show_default=True,
    help="Attempts before an effect is dead.",
)
def worker(
    db_url: str,
    once: bool,
    sinks: tuple[str, ...],
    handler_refs: tuple[str, ...],
    classifier_ref: str | None,
    interval: float,
    max_attempts: int,
) -> None:
    """Apply stored webhooks, then deliver the outbox's effects to handlers.

    Each round applies the inbox (what `orderfsm serve` stored) through the
    lifecycle, then delivers due effects, with retries and dead-lettering.
    Effects with no handler stay pending and are reported. Stop with Ctrl-C or
    SIGTERM; the current step finishes first.

    \b
    Example:
      orderfsm worker --db sqlite:///shop.db --once --sink jsonl:effects.jsonl
      orderfsm worker --db postgresql://... --handlers myshop.effects:registry
      orderfsm worker --db postgresql://... --classifier physical --sink jsonl:effects.jsonl
    """
    log_to_terminal()
    registry = build_registry(handler_refs, sinks)
    classifier = load_classifier(classifier_ref) if classifier_ref else None
    console = Console()
    db = open_engine(db_url)
    try:
        ensure_current(db, url_for_message=db_url)
        dispatcher = Dispatcher(
            db, registry, DispatchConfig(max_attempts=max_attempts), classifier=classifier
        )
        stop = threading.Event()
        if not once:
            _stop_on_signals(stop)
            console.print(
                plain(f"worker: {len(registry)} effect(s) handled; every {interval:g}s when idle")
            )
        run_steps(
            worker_steps(db, dispatcher, console, once=once),
            once=once,
            interval=interval,
            stop=stop,
            on_error=lambda exc: console.print(step_failed(exc)),
        )
    finally:
        db.dispose()


def step_failed(exc: Exception) -> Text:
    """The worker's line for a failed step: the error as plain text, no password shown."""
    return joined(("worker step failed: ", "red"), plain(redact(str(exc))))


def build_registry(handler_refs: Sequence[str], sinks: Sequence[str]) -> HandlerRegistry:
    """A registry from ``--handlers`` references, then ``--sink`` for the remaining effects."""
    registry = HandlerRegistry()
    for ref in handler_refs:
        _load_handlers(registry, ref)
    for sink in sinks:
        scheme, _, target = sink.partition(":")
        if scheme not in SINK_SCHEMES or not target:
            raise click.BadParameter(f"{sink!r}: expected jsonl:PATH", param_hint="'--sink'")
        remaining = [name for name in EffectName if name not in registry]
        JsonlSink(Path(target)).register(registry, remaining)
    return registry


def load_classifier(ref: str) -> Classifier:
    """``physical``, ``digital`` or a ``MODULE:NAME`` function taking an item."""
    if ref in BUILT_IN_CLASSIFIERS:
        return BUILT_IN_CLASSIFIERS[ref]
    target = _import_target(ref, "'--classifier'", expected="physical, digital or MODULE:NAME")
    if not callable(target):
        raise click.BadParameter(
            f"{ref!r} is not a function taking an item", param_hint="'--classifier'"
        )
    classifier: Classifier = target
    return classifier


def _import_target(ref: str, hint: str, *, expected: str = "MODULE:NAME") -> object:
    module_name, _, attribute = ref.partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"{ref!r}: expected {expected}", param_hint=hint)
    if os.getcwd() not in sys.path:
        # Like uvicorn and celery: the host's modules in the current folder are importable.
        sys.path.insert(0, os.getcwd())
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # the host's module may fail in any way as it loads
        raise click.BadParameter(f"{ref!r}: {_one_line(exc)}", param_hint=hint) from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _load_handlers(registry: HandlerRegistry, ref: str) -> None:
    target = _import_target(ref, "'--handlers'")
    if isinstance(target, HandlerRegistry):
        for name in target:
            handler = target.get(name)
            assert handler is not None
            registry.register(name, handler)
        registry.classifier = registry.classifier or target.classifier
    elif callable(target):
        try:
            target(registry)
        except Exception as exc:
            raise click.BadParameter(
                f"{ref!r} is neither a HandlerRegistry nor a function filling one: "
                f"calling it with a HandlerRegistry raised {_one_line(exc)}",
                param_hint="'--handlers'",
            ) from exc
    else:
        raise click.BadParameter(
            f"{ref!r} is neither a HandlerRegistry nor a function taking one",
            param_hint="'--handlers'",
        )


def _stop_on_signals(stop: threading.Event) -> None:
    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
