"""``orderfsm lifecycle export``: the lifecycle table as a stable, versioned JSON document."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from orderfsm.cli.stuck import deadline_option, state_deadlines


@click.group("lifecycle")
def lifecycle() -> None:
    """Export the lifecycle table: states, edges, guards, effects and deadlines as JSON.

    \b
    Example:
      orderfsm lifecycle export --json -o docs/lifecycle.json
      orderfsm diagram --diff docs/lifecycle.json -o lifecycle-diff.svg
    """


@lifecycle.command("export")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    default=True,
    help="Write JSON (format orderfsm-lifecycle/1; the only format, so the default).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout.",
)
@deadline_option
def export(as_json: bool, output: Path | None, deadlines: dict[str, timedelta]) -> None:
    """Write the lifecycle table as JSON: sorted, stable, versioned ("orderfsm-lifecycle/1").

    States keep the table's order; edges are sorted by source, trigger and
    target; an internal edge (news recorded, no state change) is marked
    "internal". `orderfsm diagram --diff FILE` reads it back. --deadline
    exports a host's deadlines instead of the table's.

    \b
    Example:
      orderfsm lifecycle export --json -o docs/lifecycle.json
      orderfsm lifecycle export --json --deadline accepted=2d
    """
    from orderfsm.diagrams import DiagramError
    from orderfsm.diagrams.export import dumps, lifecycle_document

    del as_json  # JSON is the only format; the flag says so in scripts.
    try:
        text = dumps(lifecycle_document(deadlines=state_deadlines(deadlines)))
    except DiagramError as exc:
        raise click.ClickException(str(exc)) from exc
    if output is None:
        click.echo(text, nl=False)
        return
    # Written aside then renamed: a failed write never leaves half a document.
    partial = output.with_name(f".{output.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
