"""The suite's subprocess helper: ``reap`` leaves nothing behind (tests/support/processes.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.processes import reap

SLEEPER = [sys.executable, "-c", "import sys, time; print('up', flush=True); time.sleep(600)"]


def test_a_running_process_is_killed_waited_for_and_its_pipes_closed() -> None:
    process = subprocess.Popen(
        SLEEPER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "up\n"
    assert process.stdin is not None
    process.stdin.write("unread\n")  # buffered: closing it flushes into a dead reader

    reap(process)

    assert process.returncode == -9
    assert all(s is not None and s.closed for s in (process.stdin, process.stdout, process.stderr))


def test_a_process_already_read_to_the_end_is_left_as_it_ended() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "print('done')"], stdout=subprocess.PIPE, text=True
    )
    out, _ = process.communicate(timeout=120)

    reap(process)

    assert (process.returncode, out) == (0, "done\n")
    assert process.stdout is not None and process.stdout.closed
