"""``orderfsm diagram``: the lifecycle (or one order's path) as DOT, SVG, PNG or Mermaid."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option
from orderfsm.cli.stuck import deadline_option, state_deadlines
from orderfsm.cli.text import plain
from orderfsm.diagrams import (
    DiagramError,
    Format,
    LifecycleDiff,
    LifecycleGraph,
    OrderPath,
    diff_graphs,
    generate,
    graph_from_lifecycle,
    order_path,
    stale_diff,
)
from orderfsm.errors import OrderFsmError

if TYPE_CHECKING:
    from orderfsm.persistence import OrderView

Subject = LifecycleGraph | OrderPath | LifecycleDiff


@click.command("diagram")
@click.option(
    "--format",
    "format_name",
    type=click.Choice([f.value for f in Format]),
    default=None,
    help="Output format  [default: from -o's suffix, else svg]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE (required for png); text formats go to stdout without it.",
)
@click.option(
    "--order",
    "order_ref",
    metavar="REF",
    help="Draw this order's path (upstream id, DR order id or checkout id).",
)
@db_option
@click.option(
    "--check",
    "check_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Exit 1 with a short diff when FILE (.dot, .svg, .mmd) is out of date.",
)
@click.option(
    "--diff",
    "base",
    metavar="BASE",
    default=None,
    help="Draw what changed since BASE: a git revision (main, HEAD~1) or an exported file.",
)
@click.option(
    "--exit-code",
    is_flag=True,
    help="With --diff: exit 1 when the lifecycle changed (as git diff --exit-code).",
)
@deadline_option
def diagram(
    format_name: str | None,
    output: Path | None,
    order_ref: str | None,
    db_url: str,
    check_file: Path | None,
    base: str | None,
    exit_code: bool,
    deadlines: dict[str, timedelta],
) -> None:
    """Draw the lifecycle table, or the path one stored order took through it.

    Each live state shows its deadline (the table's, or --deadline's). With
    --diff BASE the picture is the lifecycle now with what changed since
    BASE marked (added green, removed red and dashed, changed amber), and a
    Markdown list of the changes is printed for a pull request: on stdout
    with -o, else on stderr (stdout then holds the diagram).

    \b
    Example:
      orderfsm diagram -o docs/lifecycle.svg
      orderfsm diagram --format mermaid > docs/lifecycle.mmd
      orderfsm diagram --order SHOP-0001 --db sqlite:///shop.db -o SHOP-0001.svg
      orderfsm diagram --check docs/lifecycle.svg
      orderfsm diagram --diff main -o lifecycle-diff.svg
      orderfsm diagram --diff docs/lifecycle.json --format mermaid -o diff.mmd
    """
    if base is not None and (order_ref or check_file or deadlines):
        raise click.UsageError(
            "--diff compares lifecycle tables: it takes no --order, --check or --deadline"
        )
    if exit_code and base is None:
        raise click.UsageError("--exit-code goes with --diff BASE")
    try:
        if base is not None:
            _diff(base, _format(format_name, output), output, exit_code)
            return
        overrides = state_deadlines(deadlines)
        subject: LifecycleGraph | OrderPath = (
            _load_order(db_url, order_ref, overrides)
            if order_ref
            else graph_from_lifecycle(deadlines=overrides)
        )
        if check_file is not None:
            _check(check_file, subject, format_name, output)
            return
        _draw(subject, _format(format_name, output), output)
    except DiagramError as exc:
        raise click.ClickException(str(exc)) from exc


def _diff(base: str, format: Format, output: Path | None, exit_code: bool) -> None:
    from rich.console import Console

    # Imported here: reading a base loads pydantic, which drawing alone never needs.
    from orderfsm.diagrams.revision import read_base

    found = read_base(base)
    err = Console(stderr=True, highlight=False)
    if found.note:
        err.print(plain(f"note: {found.note}"), soft_wrap=True)
    change = diff_graphs(found.graph, graph_from_lifecycle(), found.name)
    _draw(change, format, output)
    summary = Console(highlight=False) if output is not None else err
    for line in (f"Lifecycle changes since {found.name}:", *change.summary()):
        summary.print(plain(line), soft_wrap=True)
    if exit_code and change.changed:
        # SystemExit, not click's Exit: the group runs with standalone_mode=False,
        # where an Exit's code is returned and lost (see _check).
        sys.exit(1)


def _format(format_name: str | None, output: Path | None) -> Format:
    if format_name is not None:
        return Format(format_name)
    inferred = Format.for_path(output) if output is not None else None
    if output is not None and output.suffix and inferred is None:
        raise click.UsageError(
            f"cannot draw {output.suffix} files: name -o FILE .svg, .png, .dot, .gv or .mmd, "
            "or choose with --format"
        )
    return inferred or Format.SVG


def _draw(subject: Subject, format: Format, output: Path | None) -> None:
    if output is None and format.binary:
        raise click.UsageError(f"{format} is binary: write it to a file with -o FILE")
    content = generate(subject, format)
    if output is None:
        click.echo(content.decode(), nl=False)
        return
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc


def _check(
    path: Path, subject: LifecycleGraph | OrderPath, format_name: str | None, output: Path | None
) -> None:
    if output is not None:
        raise click.UsageError("--check compares FILE in place; it takes no -o")
    named = Format.for_path(path)
    if format_name is not None and named is not None and Format(format_name) is not named:
        raise click.UsageError(f"--check {path} is {named}, not {format_name}")
    diff = stale_diff(path, subject)
    if not diff:
        click.echo(f"{path} is up to date")
        return
    click.echo("\n".join(diff))
    # A ClickException (exit 1), not click's Exit: the group runs commands with
    # standalone_mode=False, where an Exit's code would be returned and lost.
    raise click.ClickException(
        f"{path} is out of date: regenerate it with orderfsm diagram -o {path}"
    )


def _load_order(db_url: str, ref: str, deadlines: dict[Any, timedelta]) -> OrderPath:
    # Imported here: drawing the lifecycle alone needs no database stack.
    from orderfsm.service import Engine

    try:
        refuse_missing_sqlite(db_url)
        with Engine.open(db_url) as engine:
            view = engine.show(ref)
    except OrderFsmError as exc:  # OrderNotFound, SchemaOutOfDate, ...
        raise click.ClickException(str(exc)) from exc
    return order_diagram(view, graph_from_lifecycle(deadlines=deadlines))


def order_diagram(view: OrderView, graph: LifecycleGraph | None = None) -> OrderPath:
    """The path a stored order took, titled by its ids and state (``demo`` draws these too)."""
    dr = f" (DR order {view.order_id})" if view.order_id else ""
    title = f"order {view.upstream_id}{dr}: {view.state}"
    return order_path(view.history, view.state, graph=graph, title=title)
