"""Many units of work in one transaction, with the answers of one unit at a time.

A journal of a hundred thousand signals applied one transaction each spends
most of its time beginning and committing. :func:`run_batch` runs units in
ONE transaction through a :class:`~orderfsm.persistence.WriteBehind` store,
so each unit still sees everything the units before it wrote, and commits
once. Whatever happens, the answers are the one-by-one answers:

* a unit answering an error (meant for its caller) wrote nothing: the error
  is its answer and the batch goes on;
* a unit that met another transaction's work before writing (a
  :class:`~orderfsm.persistence.Collision`) ends the transaction there: the
  units before it commit, it runs alone with retries, batching resumes;
* on PostgreSQL a unit that took identity locks ends the transaction after
  it: other transactions wait for those locks (or retry around them);
* a transaction that collides as a whole (a unique index or version check
  at flush because another worker got there first, a lock, "database is
  locked") rolls back, and its units run one by one with retries.

A journal passes its lines' positions (:class:`RunPositions`): every
transaction then also records the position of its last unit
(:mod:`orderfsm.persistence.journal_runs`), and the batch stops, rather than
answers around, when the database goes away or contention outlasts the
retries (:class:`~orderfsm.errors.BatchInterrupted`, carrying the answers
computed so far), so the journal can wait, read its mark and resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from orderfsm.errors import BatchInterrupted, ContentionExhausted, StorageError
from orderfsm.persistence import BatchReads, Collision, Repository, Transaction, WriteBehind
from orderfsm.persistence.database import Database
from orderfsm.persistence.journal_runs import RunMark
from orderfsm.service.applying import Applier
from orderfsm.service.preparing import Unit
from orderfsm.service.results import DEFAULT_CONFIG, Answer
from orderfsm.service.retry import run_alone

APPLY_MANY = "apply_many"
"""The operation a storage error names for a batch."""


FIRST_READ_AHEAD = 16
"""Units whose reads a transaction prefetches first; each next window doubles.

Only where units take identity locks (PostgreSQL); elsewhere it reads all.

A transaction may end after any unit (on PostgreSQL, after each that takes
identity locks), and the next one starts over from the unit after it: reading
the whole rest up front would read most of it again and again.
"""


class _Stop(Enum):
    """Why one batch transaction ended."""

    ALL_RAN = "all units ran"
    LOCKS_HELD = "a unit holds identity locks others wait for"
    CONTENDED = "a unit met another transaction before writing"
    COLLIDED = "the transaction collided and was rolled back"


@dataclass(frozen=True, slots=True)
class RunPositions:
    """A journal run's id and the journal position of each unit of the batch."""

    run_id: str
    positions: Sequence[int]

    def mark(self, index: int) -> RunMark:
        """The mark that says units up to ``index`` are committed."""
        return RunMark(self.run_id, self.positions[index])


def run_batch(
    db: Database,
    applier: Applier,
    units: Sequence[Unit],
    *,
    max_attempts: int,
    retry_for_s: float = DEFAULT_CONFIG.retry_for_s,
    positions: RunPositions | None = None,
) -> list[Answer]:
    """Each unit's answer, in order, as many units per transaction as can be.

    With ``positions``, see the module docstring: raises
    :class:`~orderfsm.errors.BatchInterrupted` instead of a storage error or
    of answering :class:`~orderfsm.errors.ContentionExhausted`.
    """
    answers: list[Answer] = []
    """Answers of committed units, then of those whose COMMIT is under way."""
    try:
        while len(answers) < len(units):
            rest = units[len(answers) :]
            stop = _one_transaction(db, applier, rest, answers, positions)
            if stop is _Stop.COLLIDED:
                for unit in rest:
                    _run_alone(db, applier, unit, answers, max_attempts, retry_for_s, positions)
            elif stop is _Stop.CONTENDED:  # the unit after those that ran
                _run_alone(
                    db, applier, units[len(answers)], answers, max_attempts, retry_for_s, positions
                )
    except StorageError as exc:
        if positions is None:
            raise
        raise BatchInterrupted(exc, tuple(answers)) from exc
    return answers


def _run_alone(
    db: Database,
    applier: Applier,
    unit: Unit,
    answers: list[Answer],
    max_attempts: int,
    retry_for_s: float,
    positions: RunPositions | None,
) -> None:
    if positions is None:
        answers.append(
            run_alone(db, applier, unit, max_attempts=max_attempts, retry_for_s=retry_for_s)
        )
        return
    mark = positions.mark(len(answers))
    staged = len(answers)

    def stage(store: Repository, answer: Answer) -> None:
        mark.record(store.connection)
        answers.append(answer)

    answer = run_alone(
        db, applier, unit, max_attempts=max_attempts, retry_for_s=retry_for_s, before_commit=stage
    )
    if isinstance(answer, ContentionExhausted):
        raise BatchInterrupted(answer, tuple(answers))
    if len(answers) == staged:  # an answer meant for the caller: nothing to commit
        answers.append(answer)


def batch_reads(units: Sequence[Unit]) -> BatchReads:
    """What ``units`` will look up, to read it up front."""
    return BatchReads(
        refs=tuple(unit.refs for unit in units),
        event_ids=tuple(e for unit in units if (e := unit.event_id) is not None),
    )


def _one_transaction(
    db: Database,
    applier: Applier,
    units: Sequence[Unit],
    answers: list[Answer],
    positions: RunPositions | None,
) -> _Stop:
    """Run the first of ``units`` in one transaction; their answers go to ``answers``.

    The answers are staged just before ``COMMIT`` and withdrawn on a collision.
    """
    ran: list[Answer] = []
    stop = _Stop.ALL_RAN
    staged = len(answers)
    with Transaction(db, APPLY_MANY) as tx:
        store = WriteBehind(tx.store)
        read_up_to = 0
        # Where no unit ends the transaction early (SQLite), everything is read at once.
        first = FIRST_READ_AHEAD if tx.store.uses_identity_locks else len(units)
        for index, unit in enumerate(units):
            if index == read_up_to:  # windows of 16, 32, 64...: see FIRST_READ_AHEAD
                read_up_to = index + max(first, index)
                store.prefetch(batch_reads(units[index:read_up_to]))
            answer = applier.run(store, unit)
            if isinstance(answer, Collision):
                stop = _Stop.CONTENDED
                break
            ran.append(answer)
            if store.holds_identity_locks:
                stop = _Stop.LOCKS_HELD
                break
        store.flush()
        if positions is not None and ran:
            positions.mark(staged + len(ran) - 1).record(tx.store.connection)
        answers.extend(ran)
        tx.commit()
    if tx.collision is not None:
        del answers[staged:]
        return _Stop.COLLIDED
    return stop
