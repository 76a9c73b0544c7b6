"""``orderfsm serve``'s process: what it imported at startup is left out of garbage collection.

The receiver's process holds a large heap before its first request:
SQLAlchemy, pydantic's schemas, alembic (the schema check), uvicorn,
prometheus. CPython's full (generation 2) collection walks every tracked
object, so one such collection under load paused the event loop for 450-470
ms on the project's 2-core machine (docs/performance.md, section 12), every
request in flight waiting behind it; the bare baseline's few imports make its
collections short. :func:`freeze_startup_heap` moves everything alive at
startup to the permanent generation (``gc.freeze``): later collections walk
only what requests created (49-90 ms for the one full collection of a
run; 54 ms as shipped, freezing without collecting first). Startup objects
are module-level state the process holds until it exits anyway; the few
unreachable cycles startup left (about 2,100 objects, once, measured) stay
with them: collecting them first took 185 ms per process on the loaded
machine, which delayed each worker's start.

Only ``orderfsm serve`` calls it, once its app is built (and in each worker
process of ``--workers N``): a host that mounts :func:`create_app` in its own
process keeps its own collector settings.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Exempt every object tracked now from later collections (``gc.freeze``)."""
    gc.freeze()
