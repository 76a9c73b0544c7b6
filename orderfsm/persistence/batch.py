"""Many units of work in one transaction, with the answers of one unit at a time.

A journal of a hundred thousand signals applied one transaction each spends
most of its time beginning and committing. :func:`run_batch` runs a sequence
of units of work (functions of a repository) in ONE transaction through a
:class:`~orderfsm.persistence.write_behind.WriteBehind` repository, so each
unit still sees everything the units before it wrote, and commits once.

Whatever goes wrong, the result is the one-by-one result:

* a unit raising an :class:`~orderfsm.errors.OrderFsmError` (a refusal meant
  for the caller, such as an answer for an unknown order) rolls the batch
  back; the units before it are run again as a batch, the failing one alone
  (its error becomes its result), and batching resumes after it;
* anything else (a unique index or version check failing at flush because
  another worker got there first, a lock conflict, "database is locked")
  rolls the batch back and its units are run one by one through ``single``,
  the caller's own unit of work with its retries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import Engine

from orderfsm.errors import OrderFsmError
from orderfsm.persistence.repository import Repository
from orderfsm.persistence.unit_of_work import UnitOfWork
from orderfsm.persistence.write_behind import WriteBehind

T = TypeVar("T")

Work = Callable[[Repository], T]
"""A unit of work: reads and writes through the repository, returns its answer."""

Prefetch = Callable[[WriteBehind], None]
"""Reads a batch needs, done up front (see :meth:`WriteBehind.prefetch`)."""


class _UnitFailed(Exception):
    """A unit of the batch raised a domain error; the batch is redone around it."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def run_batch(
    engine: Engine,
    works: Sequence[Work[T]],
    *,
    single: Callable[[Work[T]], T],
    prefetch: Prefetch | None = None,
) -> list[T | OrderFsmError]:
    """Run ``works`` in order, batched; each answer, or the domain error it raised."""
    results: list[T | OrderFsmError] = []
    start = 0
    while start < len(works):
        pending = works[start:]
        try:
            done = _in_one_transaction(engine, pending, prefetch)
        except _UnitFailed as failed:
            # Redo the units before the failing one; then run it alone.
            before = _batch_or_each(engine, pending[: failed.index], single, prefetch)
            results.extend(before)
            alone = _alone(pending[failed.index], single)
            results.append(alone)
            start += failed.index + 1
        except Exception:
            rest = _each(pending, single)
            results.extend(rest)
            return results
        else:
            results.extend(done)
            start += len(done)
    return results


def _batch_or_each(
    engine: Engine,
    works: Sequence[Work[T]],
    single: Callable[[Work[T]], T],
    prefetch: Prefetch | None,
) -> list[T | OrderFsmError]:
    results: list[T | OrderFsmError] = []
    while len(results) < len(works):
        pending = works[len(results) :]
        try:
            done = _in_one_transaction(engine, pending, prefetch)
        except Exception:
            rest = _each(pending, single)
            results.extend(rest)
            return results
        results.extend(done)
    return results


def _each(works: Sequence[Work[T]], single: Callable[[Work[T]], T]) -> list[T | OrderFsmError]:
    results: list[T | OrderFsmError] = []
    for work in works:
        answer = _alone(work, single)
        results.append(answer)
    return results


def _in_one_transaction(
    engine: Engine, works: Sequence[Work[T]], prefetch: Prefetch | None
) -> list[T]:
    """Run units in one transaction and commit; the answers of those that ran.

    All of ``works`` run, unless a unit took an identity lock that other
    transactions wait on (see :attr:`WriteBehind.commit_soon`): the batch
    then commits after that unit, and the caller starts a new one.
    """
    with UnitOfWork(engine) as uow:
        repo = WriteBehind(uow.repo.connection)
        if prefetch is not None:
            prefetch(repo)
        results: list[T] = []
        for index, work in enumerate(works):
            try:
                results.append(work(repo))
            except OrderFsmError as exc:
                raise _UnitFailed(index) from exc
            if repo.commit_soon:
                break
        repo.flush()
        uow.commit()
        return results


def _alone(work: Work[T], single: Callable[[Work[T]], T]) -> T | OrderFsmError:
    try:
        return single(work)
    except OrderFsmError as exc:
        return exc
