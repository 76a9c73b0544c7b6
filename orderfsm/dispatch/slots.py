"""Handler calls in a bounded number of daemon threads, each with a deadline.

Python cannot stop a thread, so a handler that outlives its timeout is
*abandoned*, not killed: the dispatcher records the attempt as failed and goes
on, while the call keeps its thread — and its slot — until it returns. Slots
are therefore counted honestly: ``size`` handler calls at most, abandoned
ones included, so handlers that hang forever cannot pile up threads without
bound; once every slot is held by a hung call, nothing more is started (and
the dispatcher says so) until one returns or the process ends.

The threads are daemons: a stopping worker is never held up by a handler
that will not return (the interpreter does not join daemon threads at exit,
where it joins a ``ThreadPoolExecutor``'s workers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from orderfsm.dispatch.registry import Effect, Handler


class Call:
    """One handler call: running until :attr:`finished`, then ``error`` is what it raised."""

    def __init__(self, on_end: Callable[[Call], None]) -> None:
        self.finished = threading.Event()
        self.error: BaseException | None = None
        """What the handler raised; ``None`` when it returned normally."""
        self.abandoned = False
        """Set when the dispatcher gave up waiting (a timeout or a stop)."""
        self._on_end = on_end

    def run(self, handler: Handler, effect: Effect[Any]) -> None:
        """The thread's body: call the handler and keep how it ended."""
        try:
            handler(effect)
        except BaseException as exc:  # a handler may raise anything; the dispatcher sorts it
            self.error = exc
        finally:
            self.finished.set()
            self._on_end(self)


class HandlerSlots:
    """At most ``size`` handler calls at once, each in a daemon thread of its own."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._running = 0
        self._abandoned = 0
        self._ends = 0

    def ends(self) -> int:
        """How many calls have ended so far; pass it to :meth:`wait`."""
        with self._lock:
            return self._ends

    def abandoned(self) -> int:
        """Calls given up on that have still not returned."""
        with self._lock:
            return self._abandoned

    def start(self, handler: Handler, effect: Effect[Any]) -> Call:
        """Call ``handler(effect)`` in a new daemon thread; there must be a free slot."""
        with self._lock:
            # An invariant, not a condition: the dispatcher counts its free slots first.
            assert self._running < self.size, "no free handler slot"
            self._running += 1
        call = Call(self._ended)
        thread = threading.Thread(
            target=call.run,
            args=(handler, effect),
            name=f"orderfsm-handler {effect.key}",
            daemon=True,
        )
        thread.start()
        return call

    def abandon(self, call: Call) -> None:
        """Stop waiting for ``call``: it keeps its slot until it returns."""
        with self._lock:
            if not call.finished.is_set() and not call.abandoned:
                call.abandoned = True
                self._abandoned += 1

    def wait(self, timeout: float, *, seen: int) -> None:
        """Wait until a call ends after the ``seen``-th one (see :meth:`ends`), or ``timeout`` s."""
        with self._changed:
            self._changed.wait_for(lambda: self._ends != seen, max(timeout, 0.0))

    def _ended(self, call: Call) -> None:
        with self._changed:
            self._running -= 1
            self._ends += 1
            if call.abandoned:
                self._abandoned -= 1
            self._changed.notify_all()
