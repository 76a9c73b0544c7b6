"""``orderfsm inbox``: what the receiver stored, and putting dead entries back in line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import DEFAULT_DB, INBOX_STATUSES, database_option, db_option
from orderfsm.cli.text import joined, plain, visible
from orderfsm.errors import InboxEntryNotFound

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from orderfsm.persistence.inbox import InboxEntry

ERROR_COLUMN_CHARS = 100
"""The table shows an error's first line up to this length; `inbox show ID` shows it whole."""
OUTCOME_STYLE = {
    "applied": "green",
    "parked": "cyan",
    "refused": "red",
    "dead": "bold red",
    "waiting": "yellow",
    "retry": "yellow",
}


def outcome_of(entry: InboxEntry) -> str:
    """What became of an entry, in the operator's words.

    An applied entry shows the lifecycle outcome the worker stored (``applied``,
    ``parked``, ``refused``, ``duplicate``, ``stale``, ``terminal``, ``not
    relevant``); ``dead`` failed for good; ``retry`` failed and is due again;
    ``waiting`` was never tried. Entries applied before schema 0002 show
    ``applied``.
    """
    status = entry.status.value
    if status == "applied":
        return (entry.outcome or "applied").replace("_", " ")
    if status == "dead":
        return "dead"
    return "retry" if entry.error else "waiting"


def entry_json(entry: InboxEntry) -> dict[str, Any]:
    """The fixed ``inbox --json`` shape of one entry (ISO 8601 UTC times)."""
    from orderfsm.persistence.database import to_db_time

    received, processed = to_db_time(entry.received_at), to_db_time(entry.processed_at)
    return {
        "id": entry.id,
        "eventId": entry.event_id,
        "eventType": entry.event_type,
        "status": entry.status.value,
        "outcome": outcome_of(entry),
        "upstreamId": entry.upstream_id,
        "attempts": entry.attempts,
        "receivedAt": received.isoformat() if received else None,
        "processedAt": processed.isoformat() if processed else None,
        "error": entry.error,
    }


@click.group("inbox", invoke_without_command=True)
@db_option
@click.option("--status", type=click.Choice(INBOX_STATUSES), help="Only entries in this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (ISO 8601 UTC times).")
@click.pass_context
def inbox(ctx: click.Context, db_url: str, status: str | None, limit: int, as_json: bool) -> None:
    """List webhook deliveries the receiver stored, newest first.

    Each entry shows what became of it (applied, parked, refused, duplicate,
    not relevant, dead, retry, waiting) and the order it concerned. A dead
    entry failed every attempt; `orderfsm inbox show ID` prints its whole
    error and payload, and after a fix `orderfsm inbox retry ID` puts it back
    in line.

    \b
    Example:
      orderfsm inbox --db sqlite:///shop.db --status dead
      orderfsm inbox show 42 --db sqlite:///shop.db
      orderfsm inbox retry 42 --db sqlite:///shop.db
    """
    if ctx.invoked_subcommand is not None:
        return
    # Imported here: `orderfsm inbox --help` needs none of the engine's stack.
    import json
    from collections import Counter

    from rich.console import Console

    from orderfsm.persistence import InboxStatus
    from orderfsm.persistence import inbox as store
    from orderfsm.service import Engine

    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine:
        shown = store.entries(
            engine.db, status=InboxStatus(status) if status else None, limit=limit
        )
        with engine.db.connect() as connection:
            counts = store.backlog(connection).inbox
    if as_json:
        click.echo(json.dumps([entry_json(entry) for entry in shown], indent=2))
        return
    console = Console()
    console.print(plain("inbox: " + ", ".join(f"{name} {count}" for name, count in counts.items())))
    if shown:
        outcomes = Counter(outcome_of(entry) for entry in shown)
        console.print(
            plain(
                f"these {len(shown)}: "
                + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
            )
        )
        console.print(entry_table(shown))
    else:
        console.print(plain(f"no {status + ' ' if status else ''}entries"))


def entry_table(shown: list[InboxEntry]) -> Table:
    """Inbox entries as a table that wraps (never cuts) ids at 80 columns; values plain text.

    The error column is there only when an entry has one (its first line).
    """
    from rich import box
    from rich.table import Table

    with_errors = any(entry.error for entry in shown)
    table = Table(title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True)
    table.add_column("event id", overflow="fold", ratio=3)
    table.add_column("type", overflow="fold", ratio=3)
    table.add_column("outcome", overflow="fold", ratio=2)
    table.add_column("order", overflow="fold", ratio=2)
    table.add_column("tries", no_wrap=True)
    table.add_column("received (UTC)", no_wrap=True, min_width=10)
    if with_errors:
        table.add_column("error", overflow="fold", ratio=4)
    for entry in shown:
        outcome = outcome_of(entry)
        row: list[Text | str] = [
            str(entry.id),
            plain(entry.event_id),
            plain(entry.event_type),
            plain(outcome, OUTCOME_STYLE.get(outcome, "")),
            plain(entry.upstream_id or "-"),
            str(entry.attempts),
            # Date over time: ten cells wide, never cut.
            entry.received_at.strftime("%Y-%m-%d\n%H:%M:%S"),
        ]
        if with_errors:
            error = (entry.error or "").splitlines()[0] if entry.error else ""
            if len(error) > ERROR_COLUMN_CHARS:
                error = error[: ERROR_COLUMN_CHARS - 3] + "..."
            row.append(plain(error))
        table.add_row(*row)
    return table


def _find(ref: str, url: str) -> InboxEntry:
    from orderfsm.persistence import inbox as store
    from orderfsm.service import Engine

    refuse_missing_sqlite(url)
    with Engine.open(url) as engine:
        found = store.find_entry(engine.db, ref)
        if found is None and ref.isascii() and ref.isdigit():
            found = store.get_entry(engine.db, int(ref))
    if found is None:
        raise InboxEntryNotFound(f"no inbox entry with id or event id {ref!r}")
    return found


@inbox.command("show")
@click.argument("ref")
@database_option(default=None, help="Database URL (default: the one `orderfsm inbox` has).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the payload.")
@click.pass_context
def show_entry(ctx: click.Context, ref: str, db_url: str | None, as_json: bool) -> None:
    """Show the inbox entry REF (inbox id or DR event id): its whole error and payload.

    \b
    Example:
      orderfsm inbox show 42 --db sqlite:///shop.db
      orderfsm inbox show evt-0001 --db sqlite:///shop.db --json
    """
    import json

    from rich.console import Console

    url = db_url or (ctx.parent.params["db_url"] if ctx.parent else DEFAULT_DB)
    entry = _find(ref, url)
    try:
        payload: Any = json.loads(entry.body)
    except ValueError:
        payload = None
    data = entry_json(entry)
    if as_json:
        click.echo(json.dumps(data | {"payload": payload, "body": entry.body}, indent=2))
        return
    console = Console()
    for key, value in data.items():
        if key != "error":
            console.print(joined((f"{key}: ", "bold"), plain("-" if value is None else value)))
    # Multi-line values keep their lines; each line is still plain text.
    console.print(joined(("error:", "bold")))
    for line in (entry.error or "-").splitlines():
        console.print(plain(line), overflow="fold")
    console.print(joined(("payload:", "bold")))
    text = json.dumps(payload, indent=2) if payload is not None else entry.body
    for line in text.splitlines():
        console.print(plain(line), overflow="fold")


@inbox.command("retry")
@click.argument("ref")
@database_option(default=None, help="Database URL (default: the one `orderfsm inbox` has).")
@click.pass_context
def retry(ctx: click.Context, ref: str, db_url: str | None) -> None:
    """Put the dead inbox entry REF (inbox id or DR event id) back in line.

    Its attempt count starts again; the next worker pass applies it. The
    order's history records the retry and the OS user who asked for it.

    \b
    Example:
      orderfsm inbox retry 42 --db sqlite:///shop.db
      orderfsm inbox retry 3a1c9c0e-1f6b-4a33-9a8e-5f0f2b9c1d11 --db sqlite:///shop.db
    """
    from orderfsm.cli.operator import cli_operator
    from orderfsm.persistence import InboxStatus
    from orderfsm.persistence.database import utcnow
    from orderfsm.persistence.operator_actions import retry_inbox_entry
    from orderfsm.service import Engine

    url = db_url or (ctx.parent.params["db_url"] if ctx.parent else DEFAULT_DB)
    found = _find(ref, url)
    if found.status is InboxStatus.APPLIED:
        raise click.ClickException(
            f"inbox entry {found.id} (event {visible(found.event_id)}) was applied; "
            "nothing to retry"
        )
    refuse_missing_sqlite(url)
    with Engine.open(url) as engine:
        retry_inbox_entry(engine.db, found.id, cli_operator(), now=utcnow())
    click.echo(
        f"inbox entry {found.id} (event {visible(found.event_id)}, {visible(found.event_type)}) "
        "is back in line: the next worker pass applies it"
    )
