"""The effect handler of the fault run's workers: one JSON line per delivery.

``orderfsm worker --handlers bench.faults.recorder:register`` (run from the
repository's root) appends ``{"key", "name", "attempt", "pid"}`` for every
effect handed to it to the file named by :data:`EFFECTS_ENV`, with one
``write`` in append mode and an ``fsync`` before returning, as the built-in
JSON-lines sink does: a line on disk is a delivery the host made. The pid
tells which worker delivered it, so a key delivered twice can be matched with
a SIGKILL of the worker that delivered it first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName

EFFECTS_ENV = "ORDERFSM_FAULT_RUN_EFFECTS"


def record(effect: Effect[Any]) -> None:
    """Append this delivery to the file of :data:`EFFECTS_ENV`, on disk before returning."""
    line = {
        "key": effect.key,
        "name": effect.name.value,
        "attempt": effect.attempt,
        "pid": os.getpid(),
    }
    data = (json.dumps(line) + "\n").encode()
    fd = os.open(os.environ[EFFECTS_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def register(registry: HandlerRegistry) -> None:
    """Make :func:`record` the handler of every effect."""
    for name in EffectName:
        registry.register(name, record)


def deliveries(path: Path) -> list[dict[str, Any]]:
    """Every delivery recorded in ``path``, in order (a torn last line is skipped)."""
    if not path.exists():
        return []
    found = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(json.loads(text))
        except json.JSONDecodeError:
            continue  # a worker SIGKILLed inside write(): that delivery never returned
    return found
