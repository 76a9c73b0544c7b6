"""A JSON-lines file sink: one line per delivered effect (the demo's and the CLI's sink).

Each line is ``{"key", "name", "attempt", "upstreamId", "payload"}``. A line is
appended with one ``write`` on a file opened in append mode and flushed to
disk before the handler returns, so several worker processes can share a file
and a line is on disk before its effect is marked ``done``. A crash between
the two writes the same key twice: readers deduplicate by ``key``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName


class JsonlSink:
    """A handler that appends each effect to a JSON-lines file."""

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync

    def __call__(self, effect: Effect[Any]) -> None:
        """Append ``effect`` as one line."""
        line = {
            "key": effect.key,
            "name": effect.name.value,
            "attempt": effect.attempt,
            "upstreamId": effect.upstream_id,
            "payload": effect.payload.model_dump(mode="json"),
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def register(
        self, registry: HandlerRegistry, names: Iterable[EffectName] = tuple(EffectName)
    ) -> None:
        """Make this sink the handler of ``names`` (default: every effect)."""
        for name in names:
            registry.register(name, self)


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every line a :class:`JsonlSink` wrote, in order (duplicates kept)."""
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
