"""Applying a journal batch through database outages: wait, read the run's mark, resume.

A batch (:meth:`Engine.apply_many` with the lines' positions) that the
database interrupts raises :class:`~orderfsm.errors.BatchInterrupted` with the
answers computed so far. The run then waits (growing waits, bounded by
:attr:`OutagePolicy.retry_for_s`), reads the last position it committed
(:func:`~orderfsm.persistence.journal_runs.committed_position`, written in
the same transactions as the lines), keeps the answers of the lines up to it
and applies the rest again. So a line is never applied twice (its commit is
known) and never skipped (the rest is applied in order).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from orderfsm.commands import Command
from orderfsm.errors import (
    BatchInterrupted,
    ContentionExhausted,
    JournalStopped,
    OrderFsmError,
    StorageError,
)
from orderfsm.persistence.journal_runs import committed_position
from orderfsm.service import ApplyResult, Engine
from orderfsm.service.batch import RunPositions

Answer = ApplyResult | OrderFsmError


@dataclass(frozen=True, slots=True)
class Line:
    """One journal line of a batch: where it is, its position in the run, what it holds."""

    where: str
    """``FILE:LINE``."""
    position: int
    """1 for the run's first line, and so on."""
    entry: Command | OrderFsmError
    """The command read, or why the line could not be read."""


@dataclass(frozen=True, slots=True)
class OutagePolicy:
    """How long a journal run waits for its database before giving up."""

    retry_for_s: float = 120.0
    """Give up when the database has been unavailable this long (0: at once)."""
    first_wait_s: float = 0.25
    max_wait_s: float = 5.0

    def wait_s(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure in a row."""
        return float(min(self.max_wait_s, self.first_wait_s * 2 ** min(failures - 1, 30)))


DEFAULT_OUTAGES = OutagePolicy()
"""What ``orderfsm apply`` waits by default."""


@dataclass(frozen=True, slots=True)
class Outage:
    """The database failed the run; it waits ``wait_s`` and tries again."""

    reason: str
    failures: int
    wait_s: float


Record = Callable[[Line, Answer], None]


def is_outage(exc: OrderFsmError) -> bool:
    """True when waiting can help: the database went away, was unusable, or stayed locked."""
    if isinstance(exc, ContentionExhausted):
        return True
    if isinstance(exc, StorageError):
        return exc.connection_lost or isinstance(exc.__cause__, OperationalError)
    return False


def apply_resuming(
    engine: Engine,
    run_id: str,
    lines: Sequence[Line],
    record: Record,
    *,
    policy: OutagePolicy,
    on_outage: Callable[[Outage], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Apply ``lines`` in order, each exactly once, handing each answer to ``record``.

    Raises :class:`~orderfsm.errors.JournalStopped` when the database fails
    in a way waiting cannot fix, or stays unavailable past the policy.
    """
    rest = list(lines)
    reached: tuple[object, ...] = ()  # answers of rest's first lines, committed or in doubt
    failures = 0
    since = 0.0  # when the current run of failures began
    while rest:
        try:
            if failures:
                done = committed_position(engine.db, run_id)
                rest = _settle(rest, reached, done, record)
                reached = ()
                if not rest:
                    return
            commands = [
                (line.position, line.entry)
                for line in rest
                if not isinstance(line.entry, OrderFsmError)
            ]
            answers = engine.apply_many(
                [entry for _, entry in commands],
                positions=RunPositions(run_id, [position for position, _ in commands]),
            )
        except BatchInterrupted as stopped:
            cause: OrderFsmError = stopped.cause
            reached = _with_unreadable(rest, stopped.answers)
        except StorageError as exc:  # reading the mark while the database is still away
            cause = exc
        else:
            _record_all(rest, answers, record)
            return
        failures += 1
        if failures == 1:
            since = time.monotonic()
        if not is_outage(cause) or time.monotonic() - since > policy.retry_for_s:
            raise JournalStopped(str(cause)) from cause
        wait = policy.wait_s(failures)
        if on_outage is not None:
            on_outage(Outage(str(cause), failures, wait))
        sleep(wait)


def _unreadable(line: Line) -> bool:
    return isinstance(line.entry, OrderFsmError)


def _with_unreadable(rest: Sequence[Line], answers: Sequence[object]) -> tuple[object, ...]:
    """The commands' answers spread over ``rest``: an unreadable line answers its error."""
    out: list[object] = []
    given = iter(answers)
    for line in rest:
        if _unreadable(line):
            out.append(line.entry)
            continue
        answer = next(given, None)
        if answer is None:
            break
        out.append(answer)
    return tuple(out)


def _settle(rest: list[Line], reached: tuple[object, ...], done: int, record: Record) -> list[Line]:
    """Record the lines the database says are committed; the others are still to apply."""
    committed = [line for line in rest if line.position <= done]
    if len(committed) > len(reached):
        raise JournalStopped(
            f"the database says line {done} of this run is committed, but its answer is unknown"
        )
    for line, answer in zip(committed, reached, strict=False):
        record(line, answer)  # type: ignore[arg-type]
    return rest[len(committed) :]


def _record_all(rest: Sequence[Line], answers: Sequence[Answer], record: Record) -> None:
    given = iter(answers)
    for line in rest:
        record(line, line.entry if _unreadable(line) else next(given))  # type: ignore[arg-type]
