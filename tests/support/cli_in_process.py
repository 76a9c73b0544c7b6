"""The ``orderfsm`` entry point run in the test's own process, as the console script runs it.

A console-script run costs about 1 s of CPU, most of it importing SQLAlchemy,
sqlmodel, pydantic and the engine; a test that checks what a command prints
for many inputs pays that for each. :func:`run_in_process` calls the same
``orderfsm.cli.main`` with the same argv, its own stdout and stderr and the
same environment a test gives the script (``COLUMNS`` included; no
``ORDERFSM_*`` variable of the test's own environment leaks in), and returns
the exit code and both outputs. Each file that uses it keeps at least one
real :mod:`subprocess` run of each command it checks, so the console script
itself stays tested.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from click.testing import CliRunner

from orderfsm.cli import main


@dataclass(frozen=True, slots=True)
class Ran:
    """What a run left: as ``subprocess.CompletedProcess`` names it."""

    returncode: int
    stdout: str
    stderr: str


def exit_code(code: object) -> int:
    """The process exit status ``sys.exit(code)`` would give."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def run_in_process(*args: str, columns: int = 200) -> Ran:
    """Run ``orderfsm ARGS`` as a script given only ``COLUMNS`` in its environment would be.

    The tests that used ``subprocess.run(..., env={"COLUMNS": ...})``: no
    ``ORDERFSM_*`` variable of the test's environment is seen.
    """
    cleared: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("ORDERFSM_")
    }
    return run_main(args, {**cleared, "COLUMNS": str(columns)})


def run_orderfsm_in_process(*args: str, env: Mapping[str, str] | None = None) -> Ran:
    """Run ``orderfsm ARGS`` as :func:`tests.support.cli.run_orderfsm` does.

    The script sees the test's environment plus ``env``; so does this run.
    """
    return run_main(args, dict(env or {}))


def run_main(args: tuple[str, ...], env: Mapping[str, str | None]) -> Ran:
    """Call ``orderfsm.cli.main`` with argv ``orderfsm ARGS`` and ``env`` over ``os.environ``."""
    runner = CliRunner()
    argv = sys.argv
    with runner.isolation(env=env) as (out, err, _):
        sys.argv = ["orderfsm", *args]
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = exit_code(exited.code)
        finally:
            sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
        return Ran(code, out.getvalue().decode(), err.getvalue().decode())
