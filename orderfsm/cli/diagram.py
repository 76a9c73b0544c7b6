"""``orderfsm diagram``: the lifecycle (or one order's path) as DOT, SVG, PNG or Mermaid."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from orderfsm.cli.options import db_option
from orderfsm.diagrams import (
    DiagramError,
    Format,
    LifecycleGraph,
    OrderPath,
    generate,
    graph_from_lifecycle,
    order_path,
    stale_diff,
)
from orderfsm.errors import OrderFsmError

if TYPE_CHECKING:
    from orderfsm.persistence import OrderView


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
def diagram(
    format_name: str | None,
    output: Path | None,
    order_ref: str | None,
    db_url: str,
    check_file: Path | None,
) -> None:
    """Draw the lifecycle table, or the path one stored order took through it.

    \b
    Example:
      orderfsm diagram -o docs/lifecycle.svg
      orderfsm diagram --format mermaid > docs/lifecycle.mmd
      orderfsm diagram --order SHOP-0001 --db sqlite:///shop.db -o SHOP-0001.svg
      orderfsm diagram --check docs/lifecycle.svg
    """
    try:
        subject = _load_order(db_url, order_ref) if order_ref else graph_from_lifecycle()
        if check_file is not None:
            _check(check_file, subject, format_name, output)
            return
        _draw(subject, _format(format_name, output), output)
    except DiagramError as exc:
        raise click.ClickException(str(exc)) from exc


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


def _draw(subject: LifecycleGraph | OrderPath, format: Format, output: Path | None) -> None:
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


def _load_order(db_url: str, ref: str) -> OrderPath:
    # Imported here: drawing the lifecycle alone needs no database stack.
    from orderfsm.service import Engine

    try:
        with Engine.open(db_url) as engine:
            view = engine.show(ref)
    except OrderFsmError as exc:  # OrderNotFound, SchemaOutOfDate, ...
        raise click.ClickException(str(exc)) from exc
    return order_diagram(view)


def order_diagram(view: OrderView) -> OrderPath:
    """The path a stored order took, titled by its ids and state (``demo`` draws these too)."""
    dr = f" (DR order {view.order_id})" if view.order_id else ""
    title = f"order {view.upstream_id}{dr}: {view.state}"
    return order_path(view.history, view.state, title=title)
