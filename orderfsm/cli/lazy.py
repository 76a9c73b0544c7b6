"""A click group that imports a command's module only when that command runs.

``orderfsm --help`` and ``--version`` must not pay for SQLAlchemy, rich,
pydantic and the engine: each command names its module here and its
one-line summary (the first line of its docstring, checked by
tests/architecture), so listing the commands imports none of them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives (``module:attribute``) and its one-line summary for ``--help``."""

    target: str
    summary: str


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (``get_command``)."""

    def __init__(self, *args: object, lazy: dict[str, LazyCommand], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(load(self.lazy[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing calls get_command for every name: it would import them all.
        rows = [(name, self.lazy[name].summary) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def load(command: LazyCommand) -> click.Command:
    """Import the command ``command.target`` names."""
    module_name, _, attribute = command.target.partition(":")
    loaded = getattr(importlib.import_module(module_name), attribute)
    # COMMANDS is ours, and tests/architecture/test_cli_startup.py loads every entry.
    assert isinstance(loaded, click.Command), f"{command.target} is not a click command"
    return loaded
