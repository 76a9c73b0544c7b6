"""Ending the subprocesses a test started, whatever way the test ends."""

from __future__ import annotations

import subprocess
from contextlib import suppress
from typing import Any

REAP_S = 60.0
"""How long a killed process may take to be reaped (a loaded machine)."""


def reap(process: subprocess.Popen[Any]) -> None:
    """Kill ``process`` if it still runs, wait for it, and close its pipes.

    For a test's ``finally``: a process left running, or pipes left open, are
    reported by Python as a ``ResourceWarning`` when the garbage collector
    meets the ``Popen`` object, which may be during another test (and the
    suite's ``filterwarnings = error`` fails that one). Its output is dropped.
    """
    if process.poll() is None:
        process.kill()
    try:
        process.wait(REAP_S)
    finally:
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with suppress(OSError):  # stdin's last flush meets a dead reader
                    stream.close()
