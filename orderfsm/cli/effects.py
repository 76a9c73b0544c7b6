"""``orderfsm effects``: list the outbox, and re-queue a dead effect."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import EFFECT_STATUSES, db_option
from orderfsm.cli.text import plain, visible

if TYPE_CHECKING:
    from rich.table import Table

    from orderfsm.persistence.outbox import OutboxEntry

STATUS_STYLE = {"pending": "cyan", "failed": "yellow", "done": "green", "dead": "bold red"}
WAITING = ("pending", "failed")
NO_HANDLER_STATUS = "no handler"
"""The status shown for a pending effect a worker found no handler for (none attempted)."""
ERROR_WIDTH = 80
"""Errors longer than this are cut in the table and printed in full under it."""


@click.group("effects", invoke_without_command=True)
@db_option
@click.option("--status", type=click.Choice(EFFECT_STATUSES), help="Only effects in this status.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (oldest first).")
@click.option(
    "--order", "order", metavar="REF", help="Only the effects of this order (any of its ids)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def effects(
    ctx: click.Context,
    db_url: str,
    status: str | None,
    limit: int | None,
    order: str | None,
    as_json: bool,
) -> None:
    """List the effects in the outbox (default), or re-queue a dead one.

    \b
    Example:
      orderfsm effects --db sqlite:///shop.db --status dead
      orderfsm effects --db sqlite:///shop.db --order SHOP-0001
      orderfsm effects retry SHOP-0001:accepted:request_shipment --db sqlite:///shop.db
    """
    if ctx.invoked_subcommand is not None:
        return
    # Imported here: `orderfsm effects --help` needs none of the database stack.
    import json

    from rich.console import Console

    from orderfsm.errors import OrderNotFound
    from orderfsm.persistence import EffectStatus, ensure_current, open_engine
    from orderfsm.persistence.outbox import list_effects, order_known

    refuse_missing_sqlite(db_url)

    db = open_engine(db_url)
    try:
        ensure_current(db, url_for_message=db_url)
        with db.connect() as connection:
            entries = list_effects(
                connection,
                status=EffectStatus(status) if status else None,
                limit=limit,
                order=order,
            )
            if order is not None and not entries and not order_known(connection, order):
                raise OrderNotFound(order)  # as show, fulfil and refresh say it
    finally:
        db.dispose()
    if as_json:
        for entry in entries:
            click.echo(json.dumps(_as_json(entry), default=str))
        return
    console = Console()
    console.print(effects_table(entries))
    cut = [entry for entry in entries if len(entry.last_error or "") > ERROR_WIDTH]
    if cut:
        console.print(plain("last errors in full", "bold"))
    for entry in cut:
        console.print(plain(f"{entry.key}:", "bold"))
        console.print(plain(entry.last_error or ""), soft_wrap=True)


@effects.command("retry")
@click.argument("key")
@db_option
def retry(key: str, db_url: str) -> None:
    """Put the dead effect KEY back in the queue, with a fresh attempt count.

    The order's history records the retry and the OS user who asked for it.

    \b
    Example:
      orderfsm effects retry SHOP-0001:accepted:request_shipment --db sqlite:///shop.db
    """
    from orderfsm.cli.operator import cli_operator
    from orderfsm.persistence import ensure_current, open_engine
    from orderfsm.persistence.database import utcnow
    from orderfsm.persistence.operator_actions import retry_effect

    refuse_missing_sqlite(db_url)

    db = open_engine(db_url)
    try:
        ensure_current(db, url_for_message=db_url)
        retry_effect(db, key, cli_operator(), now=utcnow())
    finally:
        db.dispose()
    click.echo(f"re-queued {visible(key)}")


def effects_table(entries: list[OutboxEntry]) -> Table:
    """Outbox rows as a table (long errors cut: the command prints them under it)."""
    from rich.table import Table

    table = Table(title=f"{len(entries)} effect(s)", title_justify="left")
    table.add_column("key", overflow="fold")
    table.add_column("effect", overflow="fold")
    for column in ("status", "attempts", "next attempt", "last error / note"):
        table.add_column(column)
    for entry in entries:
        status = str(entry.status)
        error = entry.last_error or ""
        if _no_handler(entry):  # pending, never attempted: a worker looked and had none
            status, error = NO_HANDLER_STATUS, ""
        if len(error) > ERROR_WIDTH:
            error = error[: ERROR_WIDTH - 1] + "…"
        table.add_row(
            plain(entry.key),
            plain(entry.effect),
            plain(status, STATUS_STYLE.get(str(entry.status), "")),
            str(entry.attempts),
            entry.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if entry.status in WAITING else "",
            plain(error),
        )
    return table


def _as_json(entry: OutboxEntry) -> dict[str, object]:
    return {
        "key": entry.key,
        "effect": entry.effect,
        "upstreamId": entry.upstream_id,
        "status": entry.status,
        "attempts": entry.attempts,
        "nextAttemptAt": entry.next_attempt_at.isoformat(),
        "lastError": entry.last_error,
        "noHandler": _no_handler(entry),
        "payload": entry.payload,
    }


def _no_handler(entry: OutboxEntry) -> bool:
    """Never attempted, and a worker noted it has no handler for it (``orderfsm worker`` log)."""
    from orderfsm.persistence.records import NO_HANDLER

    return entry.status == "pending" and entry.attempts == 0 and entry.last_error == NO_HANDLER
