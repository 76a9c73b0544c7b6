"""``orderfsm inbox``: what the receiver stored, and putting dead entries back in line."""

from __future__ import annotations

from collections.abc import Callable

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine as DbEngine

from orderfsm.cli.options import DEFAULT_DB, database_option, db_option
from orderfsm.errors import OrderFsmError
from orderfsm.inbox import InboxReport, drain_inbox
from orderfsm.persistence import InboxStatus
from orderfsm.persistence import inbox as store
from orderfsm.persistence.inbox import InboxEntry
from orderfsm.service import Engine

ERROR_COLUMN_CHARS = 100
STATUS_STYLE = {
    InboxStatus.RECEIVED: "yellow",
    InboxStatus.APPLIED: "green",
    InboxStatus.DEAD: "red",
}


def inbox_step(db: DbEngine, console: Console, *, verbose: bool) -> Callable[[], int]:
    """The worker's step that applies stored webhooks through the engine (before effects)."""
    engine = Engine(db)

    def step() -> int:
        report = drain_inbox(engine)
        if report.claimed or verbose:
            console.print(describe(report))
        return report.claimed

    return step


def describe(report: InboxReport) -> str:
    """One line for an inbox pass."""
    line = f"inbox: {report.applied} applied, {report.retried} to retry, {report.dead} dead"
    if report.outcomes:
        line += " (" + ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())) + ")"
    return line


class InboxEntryNotFound(OrderFsmError):
    """No inbox entry has this id or DR event id."""


@click.group("inbox", invoke_without_command=True)
@db_option
@click.option(
    "--status",
    type=click.Choice([s.value for s in InboxStatus]),
    help="Only entries in this status.",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.pass_context
def inbox(ctx: click.Context, db_url: str, status: str | None, limit: int) -> None:
    """List webhook deliveries the receiver stored, newest first.

    A dead entry failed every attempt (its error is shown); after a fix, put
    it back in line with `orderfsm inbox retry ID`.

    \b
    Example:
      orderfsm inbox --db sqlite:///shop.db --status dead
      orderfsm inbox retry 42 --db sqlite:///shop.db
    """
    if ctx.invoked_subcommand is not None:
        return
    with Engine.open(db_url) as engine:
        shown = store.entries(
            engine.db, status=InboxStatus(status) if status else None, limit=limit
        )
        with engine.db.connect() as connection:
            counts = store.backlog(connection).inbox
    console = Console()
    console.print("inbox: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    if shown:
        console.print(entry_table(shown))
    else:
        console.print(f"no {status + ' ' if status else ''}entries")


def entry_table(shown: list[InboxEntry]) -> Table:
    """Inbox entries as a table (errors cut to one short line)."""
    table = Table(title_justify="left")
    for column in ("id", "event id", "type", "status", "attempts", "received", "error"):
        table.add_column(column)
    for entry in shown:
        style = STATUS_STYLE[entry.status]
        error = (entry.error or "").splitlines()[0] if entry.error else ""
        if len(error) > ERROR_COLUMN_CHARS:
            error = error[: ERROR_COLUMN_CHARS - 3] + "..."
        table.add_row(
            str(entry.id),
            entry.event_id,
            entry.event_type,
            f"[{style}]{entry.status.value}[/{style}]",
            str(entry.attempts),
            entry.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            error,
        )
    return table


@inbox.command("retry")
@click.argument("ref")
@database_option(default=None, help="Database URL (default: the one `orderfsm inbox` has).")
@click.pass_context
def retry(ctx: click.Context, ref: str, db_url: str | None) -> None:
    """Put the dead inbox entry REF (inbox id or DR event id) back in line.

    Its attempt count starts again; the next worker pass applies it.

    \b
    Example:
      orderfsm inbox retry 42 --db sqlite:///shop.db
      orderfsm inbox retry 3a1c9c0e-1f6b-4a33-9a8e-5f0f2b9c1d11 --db sqlite:///shop.db
    """
    url = db_url or (ctx.parent.params["db_url"] if ctx.parent else DEFAULT_DB)
    with Engine.open(url) as engine:
        found = store.find_entry(engine.db, ref)
        if found is None and ref.isdigit():
            found = store.get_entry(engine.db, int(ref))
        if found is None:
            raise InboxEntryNotFound(f"no inbox entry with id or event id {ref!r}")
        if found.status is InboxStatus.APPLIED:
            raise click.ClickException(
                f"inbox entry {found.id} (event {found.event_id}) was applied; nothing to retry"
            )
        store.retry(engine.db, found.id)
    click.echo(
        f"inbox entry {found.id} (event {found.event_id}, {found.event_type}) is back in line: "
        "the next worker pass applies it"
    )
