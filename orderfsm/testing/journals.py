"""Feed journal lines (dicts, JSON text or journal files) to an engine, loudly.

Unlike ``orderfsm apply``, which reports unreadable lines and goes on, a test
wants the first bad line to fail it: :func:`feed` raises
:class:`~orderfsm.journal.JournalLineError` naming the line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from orderfsm.errors import JournalLineError
from orderfsm.journal import apply_entry, numbered_lines, read_entry
from orderfsm.service import ApplyResult, Engine

Journal = str | os.PathLike[str] | Iterable[Mapping[str, Any] | str]
"""A journal file's path, or journal lines as dicts or JSON text."""


def feed(engine: Engine, journal: Journal) -> list[ApplyResult]:
    """Apply every line of ``journal`` in order; what became of each."""
    if isinstance(journal, str | os.PathLike):
        lines = [
            (f"{where}:{number}", text) for where, number, text in numbered_lines([Path(journal)])
        ]
    else:
        lines = [
            (f"line {number}", line if isinstance(line, str) else json.dumps(line))
            for number, line in enumerate(journal, start=1)
        ]
    results = []
    for where, text in lines:
        try:
            entry = read_entry(text)
        except JournalLineError as exc:
            raise JournalLineError(f"{where}: {exc}") from exc
        results.append(apply_entry(engine, entry))
    return results


def deliver(engine: Engine, line: Mapping[str, Any]) -> ApplyResult:
    """Apply one journal line (a :class:`~orderfsm.testing.history.Delivery`'s ``line``)."""
    return apply_entry(engine, read_entry(json.dumps(line)))
