"""tests/support/cli_in_process.py gives what the console script gives: exit code, stdout, stderr.

The tests that call the entry point in process trust that it is the same
run; here each kind of exit (0 with a table, 1 with one line, 2 for usage)
is run both ways on one database and the three results must be equal.
"""

from __future__ import annotations

import subprocess

import pytest

from orderfsm import Engine
from tests.support.cli import ORDERFSM
from tests.support.cli_in_process import run_in_process


@pytest.fixture
def shop(sqlite_url: str) -> str:
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        for n in range(1, 4):
            engine.submit(f"UP-{n}", f"co-{n}")
    return sqlite_url


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["show", "UP-1"], 0),
        (["show", "nope"], 1),
        (["orders", "--state", "lost"], 2),
    ],
    ids=["table", "error line", "usage"],
)
def test_a_run_in_process_prints_and_exits_as_the_console_script(
    shop: str, args: list[str], code: int
) -> None:
    argv = [*args, "--db", shop]
    script = subprocess.run(
        [ORDERFSM, *argv], capture_output=True, text=True, timeout=120, env={"COLUMNS": "80"}
    )
    here = run_in_process(*argv, columns=80)

    assert script.returncode == code, script.stderr
    assert (here.returncode, here.stdout, here.stderr) == (
        script.returncode,
        script.stdout,
        script.stderr,
    )
    assert script.stdout or script.stderr
