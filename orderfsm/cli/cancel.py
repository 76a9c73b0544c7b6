"""``orderfsm cancel``: record items the platform cancelled, for the worker to report to DR."""

from __future__ import annotations

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option
from orderfsm.cli.reports import echo_result, parse_items


@click.command("cancel")
@click.argument("upstream_id")
@click.argument("items", nargs=-1, metavar="(ITEM_ID=QTY... | --all)")
@click.option("--all", "everything", is_flag=True, help="Cancel whatever is open of every item.")
@db_option
def cancel(upstream_id: str, items: tuple[str, ...], everything: bool, db_url: str) -> None:
    """Record that the platform cancelled ITEM_ID=QTY... (or --all) of the order UPSTREAM_ID.

    The lifecycle accepts it while DR's order is accepted and never past what
    is open of an item (exit 1 with the reason otherwise). `orderfsm worker`
    with DR settings then sends it to DR (POST /fulfillments with cancelQuantity).

    \b
    Example:
      orderfsm cancel SHOP-0001 24000000000102=1 --db sqlite:///shop.db
      orderfsm cancel SHOP-0001 --all --db sqlite:///shop.db
    """
    if everything == bool(items):
        raise click.UsageError("give either ITEM_ID=QTY... or --all")
    lines = parse_items(items, cancelling=True)
    # Loaded here so that `orderfsm --help` stays fast.
    from orderfsm.service import Engine

    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine:
        if everything:
            result = engine.cancel_everything_open(upstream_id)
        else:
            result = engine.report_fulfilment(upstream_id, lines)
    echo_result(result, "cancellation")
