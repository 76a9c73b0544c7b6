"""Handlers for ``orderfsm worker --handlers tests.e2e.slow_worker_handlers:register``.

Every call appends ``started KEY PID`` and, when it returns, ``finished KEY
PID`` to the file named by ``SLOW_HANDLERS_LOG``: a test tells from it what
ran, where and how often, by the order of events rather than by the clock.
The handler of ``SLOW_HANDLERS_EFFECT`` (default ``send_order_confirmation``)
sleeps ``SLOW_HANDLERS_SLEEP_S`` seconds first; the others return at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName

LOG_ENV = "SLOW_HANDLERS_LOG"
SLEEP_ENV = "SLOW_HANDLERS_SLEEP_S"
EFFECT_ENV = "SLOW_HANDLERS_EFFECT"


def _note(what: str, effect: Effect[Any]) -> None:
    with Path(os.environ[LOG_ENV]).open("a", encoding="utf-8") as log:
        log.write(f"{what} {effect.key} {os.getpid()}\n")


def handle(effect: Effect[Any]) -> None:
    _note("started", effect)
    slow = os.environ.get(EFFECT_ENV, EffectName.SEND_ORDER_CONFIRMATION.value)
    if effect.name.value == slow:
        time.sleep(float(os.environ.get(SLEEP_ENV, "0")))
    _note("finished", effect)


def register(registry: HandlerRegistry) -> None:
    for name in EffectName:
        registry.register(name, handle)


def calls(log: Path) -> list[tuple[str, str, int]]:
    """The log's ``(started|finished, key, pid)`` lines, in order."""
    if not log.exists():
        return []
    lines = [line.split(" ") for line in log.read_text(encoding="utf-8").splitlines()]
    return [(what, key, int(pid)) for what, key, pid in lines]
