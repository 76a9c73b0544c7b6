"""The real ``orderfsm`` console script, run in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ORDERFSM = str(Path(sys.executable).with_name("orderfsm"))
"""Path of the console script installed next to the interpreter running the tests."""

TIMEOUT_S = 120


def run_orderfsm(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run ``orderfsm ARGS`` and capture its text output (``env`` is added to os.environ)."""
    return subprocess.run(
        [ORDERFSM, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )


def run_in_columns(*args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    """Run ``orderfsm ARGS`` with nothing in its environment but ``COLUMNS``.

    What a terminal that wide shows, whatever the tests' own environment
    holds (no ``ORDERFSM_*`` variable, no colour setting, no ``PATH``).
    """
    return subprocess.run(
        [ORDERFSM, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={"COLUMNS": str(columns)},
        check=False,
    )
