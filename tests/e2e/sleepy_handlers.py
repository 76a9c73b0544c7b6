"""Effect handlers for ``orderfsm worker --handlers tests.e2e.sleepy_handlers:register``.

The confirmation handler is slow on purpose: it leaves a ``started`` marker,
waits until the test leaves a ``release`` marker (at most ``SLEEP_S``), then
leaves a ``finished`` marker, in the folder named by
``SLEEPY_HANDLER_MARKERS``. A test reads the markers to tell what happened
while the handler was busy, by order of events rather than by the clock.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName

MARKERS_ENV = "SLEEPY_HANDLER_MARKERS"
SLEEP_S = 30.0
"""The longest the handler stays busy without a ``release`` (was a plain 5 s sleep,
which a loaded machine's receiver could outlast before answering)."""


def confirm_slowly(effect: Effect[Any]) -> None:
    markers = Path(os.environ[MARKERS_ENV])
    (markers / "started").write_text(effect.key)
    deadline = time.monotonic() + SLEEP_S
    while not (markers / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    (markers / "finished").write_text(effect.key)


def ignore(effect: Effect[Any]) -> None:
    """Every other effect: done at once."""


def register(registry: HandlerRegistry) -> None:
    registry.register(EffectName.SEND_ORDER_CONFIRMATION, confirm_slowly)
    for name in EffectName:
        if name is not EffectName.SEND_ORDER_CONFIRMATION:
            registry.register(name, ignore)
