"""Running one unit of work alone, again when it collided with another worker.

A collision (:class:`~orderfsm.persistence.Collision`) means nothing of the
attempt was committed; the next attempt starts from the beginning and then
sees the other worker's work (typically as a duplicate). Attempts back off
with full jitter, so colliding workers spread out instead of colliding again.

A unit whose connection is found broken before its ``COMMIT`` was sent (a
PostgreSQL restart the pool's checkout could not see) is run once more, at
once, on a fresh connection: nothing of it was committed. A second broken
connection, or one lost at ``COMMIT``, raises the storage error.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from orderfsm.errors import ContentionExhausted, OrderFsmError, StorageError
from orderfsm.persistence import Collision, Repository, Transaction
from orderfsm.persistence.database import Database
from orderfsm.service.applying import Applier
from orderfsm.service.preparing import Unit
from orderfsm.service.results import DEFAULT_CONFIG, Answer

BACKOFF_BASE_S = 0.002
BACKOFF_CAP_S = 0.5
APPLY = "apply"
"""The operation a storage error names for a unit of work."""


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


BeforeCommit = Callable[[Repository, Answer], None]
"""Called with a unit's answer just before its ``COMMIT`` (a journal marks its progress)."""


def run_alone(
    db: Database,
    applier: Applier,
    unit: Unit,
    *,
    max_attempts: int,
    retry_for_s: float = DEFAULT_CONFIG.retry_for_s,
    before_commit: BeforeCommit | None = None,
) -> Answer:
    """``unit`` in a transaction of its own, committed; retried on each collision.

    After ``max_attempts`` collisions, and once ``retry_for_s`` seconds have
    passed since the first attempt, the answer is
    :class:`~orderfsm.errors.ContentionExhausted`, with nothing committed.
    A storage error that a retry cannot fix is raised.
    """
    collision = Collision("no attempt made")
    give_up_at = time.monotonic() + retry_for_s
    reconnected = False
    attempt = 1
    while True:
        answer: Answer | Collision | None = None
        tx = Transaction(db, APPLY)
        try:
            with tx:
                answer = applier.run(tx.store, unit)
                # A refusal meant for the caller is answered before anything is written.
                if not isinstance(answer, Collision | OrderFsmError):
                    if before_commit is not None:
                        before_commit(tx.store, answer)
                    tx.commit()
        except StorageError:
            if reconnected or not tx.lost_before_commit:
                raise
            reconnected = True
            continue
        if tx.collision is not None:
            collision = tx.collision
        elif isinstance(answer, Collision):
            collision = answer
        else:
            assert answer is not None
            return answer
        if attempt >= max_attempts and time.monotonic() >= give_up_at:
            return ContentionExhausted(attempt, collision.reason)
        time.sleep(backoff(attempt))
        attempt += 1
