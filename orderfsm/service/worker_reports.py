"""What a running worker tells its host: typed reports, each with its UTC time, and their log lines.

:func:`~orderfsm.service.worker.run_worker` hands every report to the host's
callback; :func:`describe` is the one-line, timestamped text the CLI prints
and the default callback logs (plain text: the CLI escapes it, never parses
it as markup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from orderfsm.dispatch import Delivery, DeliveryResult, DispatchReport
from orderfsm.fsm.effects import EffectName
from orderfsm.inbox import AppliedEntry, InboxReport
from orderfsm.service.upkeep import (
    Reconciled,
    StepFailed,
    StuckScanned,
    UpkeepReport,
    describe_upkeep,
)


class Part(Enum):
    """The two halves of the worker, which run independently."""

    INBOX = "inbox"
    EFFECTS = "effects"


@dataclass(frozen=True, slots=True)
class Started:
    """The worker runs; ``handled`` effect names have a handler."""

    at: datetime
    handled: int
    interval: timedelta
    once: bool


@dataclass(frozen=True, slots=True)
class EntryHandled:
    """One inbox entry went through the engine (or failed)."""

    at: datetime
    entry: AppliedEntry


@dataclass(frozen=True, slots=True)
class EffectHandled:
    """One claimed effect's attempt ended (done, retried, dead, lost, interrupted)."""

    at: datetime
    delivery: Delivery


@dataclass(frozen=True, slots=True)
class InboxPassed:
    """An inbox pass's totals."""

    at: datetime
    report: InboxReport


@dataclass(frozen=True, slots=True)
class EffectsPassed:
    """A delivery pass's totals (with the effects that wait for a handler)."""

    at: datetime
    report: DispatchReport


@dataclass(frozen=True, slots=True)
class NoHandler:
    """Effects of one name wait and this worker has no handler for them (told once per name)."""

    at: datetime
    effect: str
    pending: int


@dataclass(frozen=True, slots=True)
class Outage:
    """A pass failed (typically: the database is unreachable); it is tried again in ``retry_in``."""

    at: datetime
    part: Part
    error: str
    failures: int
    """Consecutive failed passes of this part."""
    retry_in: timedelta


@dataclass(frozen=True, slots=True)
class Recovered:
    """A part works again after ``failures`` failed passes."""

    at: datetime
    part: Part
    failures: int


@dataclass(frozen=True, slots=True)
class Stopping:
    """Asked to stop: running handlers get ``grace`` before their rows are put back in line."""

    at: datetime
    grace: timedelta


@dataclass(frozen=True, slots=True)
class Stopped:
    """The worker is done; ``report`` says what the handlers still running came to."""

    at: datetime
    report: DispatchReport


WorkerReport = (
    Started
    | EntryHandled
    | EffectHandled
    | InboxPassed
    | EffectsPassed
    | NoHandler
    | Outage
    | Recovered
    | Stopping
    | Stopped
    | UpkeepReport
)
"""Everything :func:`~orderfsm.service.worker.run_worker` reports."""


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC, to the millisecond, with a ``Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def describe(report: WorkerReport) -> str:
    """The report's log line: its time, then what happened (control characters escaped)."""
    return f"{timestamp(report.at)} {_text(report)}"


def _text(report: WorkerReport) -> str:
    match report:
        case Started():
            mode = (
                "once" if report.once else f"every {report.interval.total_seconds():g}s when idle"
            )
            # ``handled`` counts effect names with a handler, not deliveries: say so.
            return f"worker: handlers for {report.handled} of {len(EffectName)} effects; {mode}"
        case EntryHandled(entry=entry):
            order = _shown(entry.upstream_id or "-")
            line = f"inbox: event {_shown(entry.event_id)} ({_shown(entry.event_type)}) "
            line += f"order {order}: {entry.outcome}"
            return line + (f": {_first_line(entry.error)}" if entry.error else "")
        case EffectHandled(delivery=d):
            line = f"effect {_shown(d.key)} order {_shown(d.upstream_id)} attempt {d.attempt}: "
            line += d.result.value
            if d.error and d.result is not DeliveryResult.DONE:
                line += f": {_first_line(d.error)}"
            return line
        case InboxPassed(report=r):
            return describe_inbox(r)
        case EffectsPassed(report=r):
            return describe_effects(r)
        case NoHandler():
            name = _shown(report.effect)
            return f"worker: no handler registered for {name}: {report.pending} pending"
        case Outage():
            return (
                f"worker: {report.part.value} pass failed ({report.failures} in a row), "
                f"retrying in {report.retry_in.total_seconds():g}s: {_first_line(report.error)}"
            )
        case Recovered():
            return (
                f"worker: {report.part.value} works again after {report.failures} failed pass(es)"
            )
        case Stopping():
            return (
                f"worker: stopping; running handlers have {report.grace.total_seconds():g}s "
                "before their effects are put back in line"
            )
        case Reconciled() | StuckScanned() | StepFailed():
            return describe_upkeep(report)
        case Stopped(report=r):
            return f"worker: stopped ({r.interrupted + r.released} effect(s) put back in line)"


def describe_inbox(report: InboxReport) -> str:
    """One line for an inbox pass."""
    line = f"inbox: {report.applied} applied, {report.retried} to retry, {report.dead} dead"
    if report.outcomes:
        line += " (" + ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())) + ")"
    if report.released:
        line += f", {report.released} released"
    return line


def describe_effects(report: DispatchReport) -> str:
    """One line for a dispatch pass."""
    line = f"effects: {report.done} done, {report.retried} retried, {report.dead} dead"
    if report.lost:
        line += f", {report.lost} taken over by another worker"
    if report.interrupted:
        line += f", {report.interrupted} interrupted"
    if report.released:
        line += f", {report.released} given back untried"
    if report.stuck:
        line += f", {report.stuck} handler(s) still running past their timeout"
    return line


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return _shown(lines[0]) if lines else ""


def _shown(text: str) -> str:
    """``text`` with control characters escaped, so data cannot forge or break a log line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
