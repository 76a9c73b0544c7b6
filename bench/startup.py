"""Benchmark 6: how long the ``orderfsm`` command takes to start.

Every run is a fresh process, as when an operator types the command: the
console script with ``--help``/``--version``, then each command's own
``--help`` (its module imported, nothing run). Baselines run in the same
repetition: ``python -c pass`` (the interpreter) and ``python -c "import
click"`` (the floor of any click CLI); ratios are per repetition, so a busy
moment of the machine slows both sides of a pair. The notes say which heavy
libraries ``orderfsm --help`` loaded (it should load none).

    python -m bench --only startup
    python -m bench.startup            # this benchmark alone
    python -m bench.startup --repeat 3 --commands show worker
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Report, ratios
from orderfsm.cli.app import COMMANDS as CLI_COMMANDS

TARGET_GROUP_SECONDS = 0.3
"""``orderfsm --help`` and ``--version`` (issue 13 item 3)."""
TARGET_COMMAND_SECONDS = 0.6
"""Any command's own startup, measured as ``orderfsm COMMAND --help``."""
COMMANDS = tuple(CLI_COMMANDS)
"""Every command of ``orderfsm`` (its group's own list: a new command is timed too)."""
HEAVY = ("sqlalchemy", "rich", "pydantic", "starlette", "uvicorn", "httpx")
"""Libraries the group's own startup must not import."""
LOADED_BY_HELP = f"""
import sys
from orderfsm.cli import cli
try:
    cli.main(["--help"], standalone_mode=False)
finally:
    print(",".join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)
"""


@dataclass(frozen=True, slots=True)
class StartupSizes:
    """How much work benchmark 6 does."""

    repeat: int = 7
    commands: tuple[str, ...] = COMMANDS


def orderfsm_command() -> list[str]:
    """The console script next to this interpreter (as installed), else its entry point."""
    script = Path(sys.executable).with_name("orderfsm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from orderfsm.cli import main; sys.exit(main())"]


def wall_seconds(argv: list[str]) -> float:
    """Seconds from starting ``argv`` to its exit (it must exit 0)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_modules_loaded_by_help() -> list[str]:
    """The :data:`HEAVY` libraries in ``sys.modules`` after ``orderfsm --help``."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED_BY_HELP],
        check=True,
        capture_output=True,
        text=True,
    )
    loaded = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return [name for name in loaded.split(",") if name]


def startup_report(sizes: StartupSizes = StartupSizes()) -> Report:
    """Benchmark 6: startup seconds of the CLI and its commands, and ratios to the baselines."""
    report = Report(f"6. CLI startup, a fresh process each ({sizes.repeat} runs)")
    orderfsm = orderfsm_command()
    runs: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "orderfsm --help": [*orderfsm, "--help"],
        "orderfsm --version": [*orderfsm, "--version"],
        **{f"orderfsm {name} --help": [*orderfsm, name, "--help"] for name in sizes.commands},
    }
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(sizes.repeat):
        for name, argv in runs.items():
            samples[name].append(wall_seconds(argv))
    for name, seconds in samples.items():
        target = None
        if name in ("orderfsm --help", "orderfsm --version"):
            target = TARGET_GROUP_SECONDS
        elif name.endswith(" --help"):
            target = TARGET_COMMAND_SECONDS
        report.add(name, "s", seconds, target=target)
    click_floor = samples["python -c 'import click'"]
    for name, seconds in samples.items():
        if name.startswith("orderfsm"):
            report.add(f"{name} / import click", "x", ratios(seconds, click_floor))
    loaded = heavy_modules_loaded_by_help()
    report.notes.append(
        "orderfsm --help imported " + (", ".join(loaded) if loaded else f"none of {HEAVY}")
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run this benchmark alone (default: every command, :class:`StartupSizes`'s repeat)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.startup", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--repeat", type=int, default=StartupSizes().repeat, help="runs of each")
    parser.add_argument(
        "--commands",
        nargs="+",
        choices=COMMANDS,
        default=COMMANDS,
        metavar="COMMAND",
        help="the commands whose --help is timed [default: all]",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    from bench.harness import render

    print(render(startup_report(StartupSizes(args.repeat, tuple(args.commands)))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
