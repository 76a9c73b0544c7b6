"""Group commit: a writer thread stores every waiting delivery in one transaction.

A durable commit is the receiver's cost: on SQLite each one waits for an
fsync (``synchronous=FULL``, see :mod:`.durability`) and admits one writer
at a time; on PostgreSQL each waits for a WAL flush. So the receiver does not
commit per request. Each request hands its :class:`Delivery` to the
:class:`GroupCommitter` and awaits it; the writer thread takes whatever is
waiting (up to ``max_group``), inserts it with one statement, commits once,
and only then answers each request of the group: stored, duplicate, or the
error that failed the group's commit, which every request of that group gets
(they answer 503 and DR delivers them again; a failure that is not an
outage is retried one delivery a transaction, so a row the database refuses
fails alone). While one group commits, the
next one gathers, so the group grows with the load and an idle receiver
still commits a lone delivery at once: no timer, no added latency.

The thread is started on first use (a mounted app gets no lifespan events)
and stopped by :meth:`GroupCommitter.close`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from orderfsm.persistence.inbox import Delivery

log = logging.getLogger(__name__)

DEFAULT_MAX_GROUP = 256
"""Most deliveries one transaction stores (a few KiB each)."""

StoreGroup = Callable[[Sequence[Delivery]], set[str]]
"""Stores a group in one transaction and returns the event ids that were new."""
AloneMayPass = Callable[[Exception], bool]
"""Whether a group's failure may be one delivery's fault (not an outage)."""


@dataclass(slots=True)
class _Waiting:
    delivery: Delivery
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[bool]


_STOP = None


class GroupCommitter:
    """Stores deliveries in groups; each request awaits its own group's commit.

    ``writers`` threads take groups from one queue: one on SQLite (one writer
    at a time anyway), a few on PostgreSQL, whose commits of several
    connections overlap (one group's WAL flush while the next is inserted).
    """

    def __init__(
        self,
        store_group: StoreGroup,
        *,
        max_group: int = DEFAULT_MAX_GROUP,
        writers: int = 1,
        alone_may_pass: AloneMayPass = lambda _exc: False,
    ) -> None:
        self._store_group = store_group
        self._alone_may_pass = alone_may_pass
        self._max_group = max_group
        self._writers = writers
        self._waiting: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def store(self, delivery: Delivery) -> bool:
        """``True`` once ``delivery`` is durably stored, ``False`` if its event id already was.

        Raises whatever made its group's transaction fail (nothing of the group is stored).
        """
        self._start()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        answer.add_done_callback(_retrieve)
        self._waiting.put(_Waiting(delivery, loop, answer))
        # A request cancelled meanwhile (its client left) cancels only its own
        # answer: the write runs in the writer thread, for the whole group, and
        # the writer skips an answer already done (no shield needed).
        return await answer

    def close(self) -> None:
        """Store what is waiting, then stop the writer threads."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._waiting.put(_STOP)
        for thread in threads:
            thread.join()

    def _start(self) -> None:
        if len(self._threads) < self._writers or not all(t.is_alive() for t in self._threads):
            with self._lock:
                self._threads = [thread for thread in self._threads if thread.is_alive()]
                while len(self._threads) < self._writers:
                    thread = threading.Thread(
                        target=self._run, name="orderfsm-inbox-writer", daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)

    def _run(self) -> None:
        while True:
            first = self._waiting.get()
            if first is _STOP:
                return
            group = [first]
            stop = False
            while len(group) < self._max_group:
                try:
                    more = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                group.append(more)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Waiting]) -> None:
        try:
            new = self._store_group([waiting.delivery for waiting in group])
        except Exception as exc:  # every request of the group is told, whatever failed
            if len(group) > 1 and self._alone_may_pass(exc):
                # Not an outage: maybe one delivery the database refuses. Each
                # alone, so that it does not fail its neighbours on every retry.
                for waiting in group:
                    self._commit([waiting])
                return
            _settle([(waiting, exc) for waiting in group])
            return
        answers: list[tuple[_Waiting, bool | Exception]] = []
        answered: set[str] = set()
        for waiting in group:
            event_id = waiting.delivery.event_id
            # The first request of an id repeated in one group stored it.
            answers.append((waiting, event_id in new and event_id not in answered))
            answered.add(event_id)
        _settle(answers)


def _retrieve(answer: asyncio.Future[bool]) -> None:
    # The answer of a request whose client left is read by nobody else.
    if not answer.cancelled():
        answer.exception()


def _settle(answers: list[tuple[_Waiting, bool | Exception]]) -> None:
    """Answer each request: one wake-up per event loop for the whole group, not one each."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Waiting, bool | Exception]]] = {}
    for waiting, answer in answers:
        by_loop.setdefault(waiting.loop, []).append((waiting, answer))
    for loop, theirs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_answer, theirs)
        except RuntimeError:  # the loop closed (server stopped): nobody waits any more
            log.debug("%d deliveries answered after their loop closed", len(theirs))


def _answer(answers: list[tuple[_Waiting, bool | Exception]]) -> None:
    for waiting, answer in answers:
        if waiting.answer.done():  # its request was cancelled (the client left)
            continue
        if isinstance(answer, Exception):
            waiting.answer.set_exception(answer)
        else:
            waiting.answer.set_result(answer)
