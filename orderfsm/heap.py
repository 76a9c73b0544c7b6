"""How orderfsm's own long-running commands set CPython's garbage collector.

Their processes hold a large heap before the first event: SQLAlchemy,
pydantic's schemas, alembic (the schema check), uvicorn, prometheus. A full
(generation 2) collection walks every tracked object, and the collector
starts a young one each time the container objects allocated, less those
freed, grow by a threshold (700 in CPython 3.11-3.13); a batch that holds
its records, mappings and pydantic models until its flush crosses it again
and again, though nearly all of them are later freed by reference counting
alone.

* :func:`freeze_startup_heap` (``orderfsm serve`` and each of its worker
  processes) and :func:`frozen_once_started` (``orderfsm worker``, once its
  database is open): everything alive at startup moves to the permanent
  generation (``gc.freeze``), so later collections walk only what requests
  created. One full collection under load had paused the event loop for
  450-470 ms on the project's 2-core machine, every request in flight
  waiting behind it; 49-90 ms once frozen (docs/performance.md, section
  12). The few unreachable cycles startup left (about 2,100 objects, once,
  measured) stay with them: collecting them first took 185 ms per process,
  which delayed each worker's start.
* :func:`collected_rarely` (``orderfsm apply``, for the length of the run):
  the heap frozen as well, and a young collection every
  :data:`BATCH_YOUNG_THRESHOLD` instead. A 30,000-line replay spent 0.86 s
  of its 7.4 s in 1,450 collections; 0.02 s in 45 with both
  (docs/performance.md, section 16). Peak memory did not move (benchmark 3:
  85 MB at 10,000 lines, 88.6 MB at 100,000, as before).

Only orderfsm's commands call them, and what a command changed is undone
when it returns (a test, or a host, may run a command in its own process):
the thresholds are restored, and a heap the command froze is thawed. A heap
someone else froze first is left as it was. A host that embeds the engine,
or mounts :func:`~orderfsm.adapters.http.create_app`, keeps its own
collector settings.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

BATCH_YOUNG_THRESHOLD = 20_000
"""Net allocations between young collections while :func:`collected_rarely` holds."""


def freeze_startup_heap() -> None:
    """Exempt every object tracked now from later collections (``gc.freeze``)."""
    gc.freeze()


@contextmanager
def frozen_once_started() -> Iterator[Callable[[], None]]:
    """Give ``freeze``, to call once startup is done; what it froze is thawed on the way out.

    Calling it again does nothing, and neither does calling it when the heap
    was already frozen by someone else (theirs stays frozen).
    """
    froze = False

    def freeze() -> None:
        nonlocal froze
        if not froze and gc.get_freeze_count() == 0:
            gc.freeze()
            froze = True

    try:
        yield freeze
    finally:
        if froze:
            gc.unfreeze()


@contextmanager
def collected_rarely() -> Iterator[None]:
    """For a batch's main loop: the heap tracked now frozen, young collections rarer.

    A collector switched off (threshold 0) stays off. The thresholds are
    restored on the way out, and the heap thawed (see :func:`frozen_once_started`).
    """
    young, middle, old = gc.get_threshold()
    with frozen_once_started() as freeze:
        freeze()
        if young:
            gc.set_threshold(max(young, BATCH_YOUNG_THRESHOLD), middle, old)
        try:
            yield
        finally:
            gc.set_threshold(young, middle, old)
