"""Every ``orderfsm`` command explains itself: ``--help`` works and shows an example."""

from __future__ import annotations

import subprocess

import click
import pytest
from click.testing import CliRunner

from orderfsm.cli import cli
from tests.support.cli import ORDERFSM


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand, as the words a user types after ``orderfsm``."""
    paths = [prefix]
    # Through list_commands/get_command: the top group loads its commands lazily,
    # so ``group.commands`` would hold only those some other test happened to load.
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def test_the_command_list_covers_the_service_commands() -> None:
    assert {("serve",), ("inbox",), ("inbox", "retry")} <= set(command_paths())


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "orderfsm")
def test_every_command_has_help_with_an_example_of_itself(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=120)

    assert result.exit_code == 0, result.output
    _, _, example = result.output.partition("Example:")
    assert example, f"no Example section in `orderfsm {' '.join(path)} --help`"
    shown = example.split("Options:")[0]
    assert f"orderfsm {' '.join(path)}".strip() in shown


def test_help_works_through_the_installed_console_script() -> None:
    done = subprocess.run([ORDERFSM, "--help"], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0
    assert "Example:" in done.stdout and "serve" in done.stdout
