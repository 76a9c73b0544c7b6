"""``orderfsm inbox``: what the receiver stored, and putting dead entries back in line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from orderfsm.cli.options import DEFAULT_DB, INBOX_STATUSES, database_option, db_option
from orderfsm.cli.text import plain, visible
from orderfsm.errors import InboxEntryNotFound

if TYPE_CHECKING:
    from rich.table import Table

    from orderfsm.persistence.inbox import InboxEntry

ERROR_COLUMN_CHARS = 100
STATUS_STYLE = {"received": "yellow", "applied": "green", "dead": "red"}


@click.group("inbox", invoke_without_command=True)
@db_option
@click.option("--status", type=click.Choice(INBOX_STATUSES), help="Only entries in this status.")
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
    # Imported here: `orderfsm inbox --help` needs none of the engine's stack.
    from rich.console import Console

    from orderfsm.persistence import InboxStatus
    from orderfsm.persistence import inbox as store
    from orderfsm.service import Engine

    with Engine.open(db_url) as engine:
        shown = store.entries(
            engine.db, status=InboxStatus(status) if status else None, limit=limit
        )
        with engine.db.connect() as connection:
            counts = store.backlog(connection).inbox
    console = Console()
    console.print(
        plain("inbox: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    )
    if shown:
        console.print(entry_table(shown))
    else:
        console.print(plain(f"no {status + ' ' if status else ''}entries"))


def entry_table(shown: list[InboxEntry]) -> Table:
    """Inbox entries as a table (errors cut to one short line; every value plain text)."""
    from rich.table import Table

    table = Table(title_justify="left")
    for column in ("id", "event id", "type", "status", "attempts", "received", "error"):
        table.add_column(column)
    for entry in shown:
        error = (entry.error or "").splitlines()[0] if entry.error else ""
        if len(error) > ERROR_COLUMN_CHARS:
            error = error[: ERROR_COLUMN_CHARS - 3] + "..."
        table.add_row(
            str(entry.id),
            plain(entry.event_id),
            plain(entry.event_type),
            plain(entry.status.value, STATUS_STYLE.get(entry.status.value, "")),
            str(entry.attempts),
            entry.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            plain(error),
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
    from orderfsm.persistence import InboxStatus
    from orderfsm.persistence import inbox as store
    from orderfsm.service import Engine

    url = db_url or (ctx.parent.params["db_url"] if ctx.parent else DEFAULT_DB)
    with Engine.open(url) as engine:
        found = store.find_entry(engine.db, ref)
        if found is None and ref.isdigit():
            found = store.get_entry(engine.db, int(ref))
        if found is None:
            raise InboxEntryNotFound(f"no inbox entry with id or event id {ref!r}")
        if found.status is InboxStatus.APPLIED:
            raise click.ClickException(
                f"inbox entry {found.id} (event {visible(found.event_id)}) was applied; "
                "nothing to retry"
            )
        store.retry(engine.db, found.id)
    click.echo(
        f"inbox entry {found.id} (event {visible(found.event_id)}, {visible(found.event_type)}) "
        "is back in line: the next worker pass applies it"
    )
