"""The worker as a library function: apply the inbox and deliver the outbox until told to stop.

:func:`run_worker` is what ``orderfsm worker`` runs, and what a host calls in
a thread of its own process::

    stop = threading.Event()
    run_worker("postgresql+psycopg://...", registry, WorkerConfig(), stop=stop,
               on_report=lambda r: log.info(describe(r)))

Inbox application and effect delivery run in two threads that never wait
on each other: a slow handler does not hold up the inbox, nor (handlers run
in slots, :mod:`orderfsm.dispatch.slots`) the other effects. Each part's
pass that fails (the database down, read-only, restarting) is reported and
tried again after a bounded, doubling backoff, so the worker recovers
without a restart. Once ``stop`` is set, the inbox part stops after the
entry it is applying (releasing the rest of its claim), and the effects part
claims nothing more and gives running handlers ``grace`` before their rows
are put back in line, due at once for another worker. With
``WorkerConfig.once`` the parts run one after the other, once, in the
calling thread, and a failure ends the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from orderfsm.dispatch import Classifier, Delivery, Dispatcher, HandlerRegistry
from orderfsm.inbox import drain_inbox
from orderfsm.persistence import ensure_current, open_engine
from orderfsm.persistence.database import OUTAGE_ERRORS
from orderfsm.service.engine import Engine
from orderfsm.service.upkeep import StepFailed, Upkeep
from orderfsm.service.worker_config import WorkerConfig
from orderfsm.service.worker_reports import (
    EffectHandled,
    EffectsPassed,
    EntryHandled,
    InboxPassed,
    NoHandler,
    Outage,
    Part,
    Recovered,
    Started,
    Stopped,
    Stopping,
    WorkerReport,
    describe,
)

__all__ = [
    "JOIN_SLACK",
    "OUTAGES",
    "ReportCallback",
    "WorkerConfig",
    "log_report",
    "run_worker",
]

log = logging.getLogger(__name__)

OUTAGES = OUTAGE_ERRORS
"""Errors of a database that is down or unusable for now: waited for, not fatal, at startup."""

JOIN_SLACK = timedelta(seconds=5)
"""How much longer than ``grace`` a stop waits for a part's thread to end."""


ReportCallback = Callable[[WorkerReport], None]
"""Told of everything the worker does; called from one thread at a time."""


def log_report(report: WorkerReport) -> None:
    """The default callback: each report's line through :mod:`logging`."""
    level = logging.WARNING if isinstance(report, Outage | NoHandler | StepFailed) else logging.INFO
    log.log(level, describe(report))


def run_worker(
    database: Engine | str,
    registry: HandlerRegistry,
    config: WorkerConfig | None = None,
    *,
    stop: threading.Event | None = None,
    on_report: ReportCallback = log_report,
    classifier: Classifier | None = None,
    upkeep: Upkeep | None = None,
) -> None:
    """Apply the inbox and deliver effects until ``stop`` is set (or once, see ``config``).

    ``database`` is an :class:`~orderfsm.Engine` (left open) or a database
    URL (opened, and closed at the end). ``classifier`` settles unflagged
    items (it wins over the registry's). ``upkeep`` adds the periodic steps
    (:mod:`orderfsm.service.upkeep`: reconcile, the stuck scan) in a thread
    of their own (with ``once``: one round, before the inbox). Raises
    :class:`~orderfsm.errors.SchemaOutOfDate` at once for a database that
    needs ``orderfsm db upgrade``; an unreachable one is waited for like any
    outage (with ``once``, its error is raised).
    """
    config = config or WorkerConfig()
    stop = stop or threading.Event()
    engine = database if isinstance(database, Engine) else Engine(open_engine(database))
    tell = _one_at_a_time(on_report)
    try:
        check = _retried(
            Part.INBOX, lambda: ensure_current(engine.db), config, stop, tell, only=OUTAGES
        )
        if not check:
            return
        dispatcher = Dispatcher(engine.db, registry, config.dispatch, classifier=classifier)
        tell(Started(_now(), len(registry), config.interval, config.once))
        if config.once:
            if upkeep is not None:
                upkeep.run(engine, stop, tell, once=True)
            _inbox_pass(engine, config, stop, tell)
            _EffectsPass(dispatcher, stop, tell)(always=True)
        elif not _run_parts(engine, dispatcher, config, stop, tell, upkeep):
            return  # the effects thread is stuck in the database: leave its rows to their lease
        last = dispatcher.finish(config.grace, observe=_effect_told(tell))
        tell(Stopped(_now(), last))
    finally:
        if engine is not database:
            engine.close()


def _run_parts(
    engine: Engine,
    dispatcher: Dispatcher,
    config: WorkerConfig,
    stop: threading.Event,
    tell: ReportCallback,
    upkeep: Upkeep | None = None,
) -> bool:
    """Both parts (and the upkeep) in threads until ``stop``; ``False`` if a part would not end."""
    wake = threading.Event()  # the inbox made effects due: the effects part stops resting
    deliver = _EffectsPass(dispatcher, stop, tell)

    def inbox_pass() -> int:
        handled = _inbox_pass(engine, config, stop, tell)
        if handled:
            wake.set()
        return handled

    def effects_pass() -> int:
        wake.clear()
        return deliver()

    parts = [
        threading.Thread(
            target=_repeat,
            args=(part, do_pass, rest, config, stop, tell),
            name=f"orderfsm-worker {part.value}",
            daemon=True,
        )
        for part, do_pass, rest in (
            (Part.INBOX, inbox_pass, stop),
            (Part.EFFECTS, effects_pass, wake),
        )
    ]
    periodic = []
    if upkeep is not None and upkeep.config.periods:
        periodic.append(_upkeep_thread(upkeep, engine, stop, tell))
    for thread in parts + periodic:
        thread.start()
    while not stop.wait(0.2):
        if not all(thread.is_alive() for thread in parts + periodic):
            stop.set()  # a part ended on an error it could not survive: stop the other too
    wake.set()
    tell(Stopping(_now(), config.grace))
    deadline = JOIN_SLACK.total_seconds()
    for thread in parts:
        thread.join(deadline)
    # A DR call of the upkeep may outlast a stop: it gets the grace, no more. What it
    # leaves (a reconcile page not stored, an inbox lease) the next run takes up.
    for thread in periodic:
        thread.join(config.grace.total_seconds())
    return not any(thread.is_alive() for thread in parts)


def _upkeep_thread(
    upkeep: Upkeep, engine: Engine, stop: threading.Event, tell: ReportCallback
) -> threading.Thread:
    return threading.Thread(
        target=upkeep.run, args=(engine, stop, tell), name="orderfsm-worker upkeep", daemon=True
    )


def _repeat(
    part: Part,
    do_pass: Callable[[], int],
    rest: threading.Event,
    config: WorkerConfig,
    stop: threading.Event,
    tell: ReportCallback,
) -> None:
    """Passes of one part until ``stop``: resting on ``rest`` when idle, backing off on failure."""
    # What a pass cannot survive (not an Exception) ends the thread through
    # threading.excepthook; the main loop then stops the other part too.
    while not stop.is_set():
        if not _retried(part, do_pass, config, stop, tell, idle=rest):
            return


def _retried(
    part: Part,
    attempt: Callable[[], object],
    config: WorkerConfig,
    stop: threading.Event,
    tell: ReportCallback,
    *,
    idle: threading.Event | None = None,
    only: tuple[type[Exception], ...] = (Exception,),
) -> bool:
    """Run ``attempt`` until it succeeds (``True``) or ``stop`` is set (``False``).

    Each failure of type ``only`` is reported and waited out with
    :meth:`WorkerConfig.outage_wait`; other errors, and with ``once`` the
    first failure, are raised. After a success that did nothing (``0``),
    rest on ``idle`` for ``config.interval``.
    """
    failures = 0
    while not stop.is_set():
        try:
            done = attempt()
        except Exception as exc:
            if config.once or not isinstance(exc, only):
                raise
            failures += 1
            wait = config.outage_wait(failures)
            tell(Outage(_now(), part, _one_line(exc), failures, wait))
            stop.wait(wait.total_seconds())
            continue
        if failures:
            tell(Recovered(_now(), part, failures))
        if idle is not None and done == 0:
            idle.wait(config.interval.total_seconds())
        return True
    return False


def _inbox_pass(
    engine: Engine, config: WorkerConfig, stop: threading.Event, tell: ReportCallback
) -> int:
    report = drain_inbox(
        engine,
        config.inbox,
        stop=stop,
        observe=lambda entry: tell(EntryHandled(_now(), entry)),
    )
    if report.claimed or config.once:
        tell(InboxPassed(_now(), report))
    return report.claimed


class _EffectsPass:
    """One delivery pass; its totals are told when it did something or the unhandled changed."""

    def __init__(self, dispatcher: Dispatcher, stop: threading.Event, tell: ReportCallback):
        self.dispatcher, self.stop, self.tell = dispatcher, stop, tell
        self.unhandled: tuple[str, ...] = ()
        self.unhandled_names: frozenset[str] = frozenset()

    def __call__(self, *, always: bool = False) -> int:
        report = self.dispatcher.run_once(stop=self.stop, observe=_effect_told(self.tell))
        busy = report.handled + report.lost + report.interrupted
        if busy or always or report.unhandled_keys != self.unhandled:
            self.tell(EffectsPassed(_now(), report))
        for name, pending in sorted(report.unhandled_effects.items()):
            if name not in self.unhandled_names:  # once per name (again if it came back)
                self.tell(NoHandler(_now(), name, pending))
        self.unhandled = report.unhandled_keys
        self.unhandled_names = frozenset(report.unhandled_effects)
        return busy


def _effect_told(tell: ReportCallback) -> Callable[[Delivery], None]:
    return lambda delivery: tell(EffectHandled(_now(), delivery))


def _one_at_a_time(on_report: ReportCallback) -> ReportCallback:
    """The host's callback, called by one thread at a time; its own errors are logged."""
    lock = threading.Lock()

    def tell(report: WorkerReport) -> None:
        with lock:
            try:
                on_report(report)
            except Exception:  # a broken report printer must not stop the worker
                log.exception("the worker's report callback failed on %s", type(report).__name__)

    return tell


def _now() -> datetime:
    return datetime.now(UTC)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
