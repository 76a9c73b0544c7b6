"""How orderfsm's own long-running commands set CPython's garbage collector.

Their processes hold a large heap before the first event: SQLAlchemy,
pydantic's schemas, alembic (the schema check), uvicorn, prometheus. A full
(generation 2) collection walks every tracked object, and the collector
starts one after a fixed number of allocations, however few of them are
garbage cycles (nearly everything orderfsm allocates is freed by reference
counting alone: records, mappings, pydantic models).

* :func:`freeze_startup_heap` (``orderfsm serve`` and each of its worker
  processes; ``orderfsm worker`` once its database is open): everything
  alive at startup moves to the permanent generation (``gc.freeze``), so
  later collections walk only what requests created. One full collection
  under load had paused the event loop for 450-470 ms on the project's
  2-core machine, every request in flight waiting behind it; 49-90 ms once
  frozen (docs/performance.md, section 12). The few unreachable cycles
  startup left (about 2,100 objects, once, measured) stay with them:
  collecting them first took 185 ms per process, which delayed each
  worker's start.
* :func:`collected_rarely` (``orderfsm apply``, for the length of the run):
  the startup heap frozen as well, and a young collection every
  :data:`BATCH_YOUNG_THRESHOLD` allocations instead of CPython's 700. A
  30,000-line replay spent 0.86 s of its 7.4 s in 1,450 collections; 0.02 s
  in 45 with both (docs/performance.md, section 16). Peak memory did not
  move (benchmark 3: 85 MB at 10,000 lines, 88.6 MB at 100,000, as before).

Only orderfsm's commands call them: a host that embeds the engine, or mounts
:func:`~orderfsm.adapters.http.create_app` in its own process, keeps its own
collector settings.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_YOUNG_THRESHOLD = 20_000
"""Allocations between young collections while :func:`collected_rarely` holds (CPython: 700)."""


def freeze_startup_heap() -> None:
    """Exempt every object tracked now from later collections (``gc.freeze``)."""
    gc.freeze()


@contextmanager
def collected_rarely() -> Iterator[None]:
    """For a batch's main loop: the heap tracked now frozen, young collections rarer.

    The thresholds are restored on the way out; what was frozen stays so (it
    is the process's startup state, held until it exits anyway).
    """
    young, middle, old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young, BATCH_YOUNG_THRESHOLD), middle, old)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)
