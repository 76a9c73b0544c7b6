"""A claimed effect whose handler runs: its deadline, its next lease renewal, the verdict on it."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from datetime import timedelta

from orderfsm.dispatch.slots import Call, HandlerSlots
from orderfsm.errors import OrderFsmError, PermanentEffectError
from orderfsm.persistence import outbox

MAX_ERROR_LENGTH = 2_000
"""Longer error texts are cut (the column is for operators, not for logs)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """How an attempt ended, decided before it is written."""

    error: str | None
    """``None``: the handler succeeded."""
    dead: bool = False
    """The effect must not be tried again."""


@dataclass(slots=True)
class Flight:
    """A claimed row whose handler was started (times are ``time.monotonic()``)."""

    claim: outbox.Claim
    call: Call
    deadline: float
    renew_at: float
    timeout: timedelta
    verdict: Verdict | None = None
    """Decided but not yet written (the database may be down)."""

    def judge(self, *, max_attempts: int, slots: HandlerSlots) -> Verdict | None:
        """The verdict once the call returned or its deadline passed (then it is abandoned)."""
        exhausted = self.claim.attempt >= max_attempts
        if self.call.finished.is_set():
            error = self.call.error
            if error is None:
                return Verdict(None)
            return Verdict(
                describe_error(error), isinstance(error, PermanentEffectError) or exhausted
            )
        if time.monotonic() >= self.deadline:
            slots.abandon(self.call)
            seconds = self.timeout.total_seconds()
            return Verdict(f"timed out: the handler did not return within {seconds:g}s", exhausted)
        return None


def describe_error(exc: BaseException) -> str:
    """What went wrong, for ``last_error``: our own messages as they are, others' type and text."""
    if isinstance(exc, OrderFsmError):
        text = str(exc)  # our own errors' messages already say what failed
    else:
        text = "".join(traceback.format_exception_only(exc)).strip()
    return text[:MAX_ERROR_LENGTH]
