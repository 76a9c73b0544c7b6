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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from orderfsm.persistence import BatchReads, Collision, Transaction, WriteBehind
from orderfsm.persistence.database import Database
from orderfsm.service.applying import Applier
from orderfsm.service.preparing import Unit
from orderfsm.service.results import Answer
from orderfsm.service.retry import run_alone

APPLY_MANY = "apply_many"
"""The operation a storage error names for a batch."""


class _Stop(Enum):
    """Why one batch transaction ended."""

    ALL_RAN = "all units ran"
    LOCKS_HELD = "a unit holds identity locks others wait for"
    CONTENDED = "a unit met another transaction before writing"
    COLLIDED = "the transaction collided and was rolled back"


@dataclass(frozen=True, slots=True)
class _Run:
    """What one batch transaction committed: the answers of its first units."""

    answers: list[Answer]
    stop: _Stop


def run_batch(
    db: Database, applier: Applier, units: Sequence[Unit], *, max_attempts: int
) -> list[Answer]:
    """Each unit's answer, in order, as many units per transaction as can be."""
    answers: list[Answer] = []
    while len(answers) < len(units):
        rest = units[len(answers) :]
        run = _one_transaction(db, applier, rest)
        answers.extend(run.answers)
        if run.stop is _Stop.COLLIDED:
            answers.extend(run_alone(db, applier, u, max_attempts=max_attempts) for u in rest)
        elif run.stop is _Stop.CONTENDED:
            unit = rest[len(run.answers)]
            answers.append(run_alone(db, applier, unit, max_attempts=max_attempts))
    return answers


def batch_reads(units: Sequence[Unit]) -> BatchReads:
    """What ``units`` will look up, to read it up front."""
    return BatchReads(
        refs=tuple(unit.refs for unit in units),
        event_ids=tuple(e for unit in units if (e := unit.event_id) is not None),
    )


def _one_transaction(db: Database, applier: Applier, units: Sequence[Unit]) -> _Run:
    answers: list[Answer] = []
    stop = _Stop.ALL_RAN
    with Transaction(db, APPLY_MANY) as tx:
        store = WriteBehind(tx.store)
        store.prefetch(batch_reads(units))
        for unit in units:
            answer = applier.run(store, unit)
            if isinstance(answer, Collision):
                stop = _Stop.CONTENDED
                break
            answers.append(answer)
            if store.holds_identity_locks:
                stop = _Stop.LOCKS_HELD
                break
        store.flush()
        tx.commit()
    if tx.collision is not None:
        return _Run([], _Stop.COLLIDED)
    return _Run(answers, stop)
