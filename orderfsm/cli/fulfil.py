"""``orderfsm fulfil``: record what the platform shipped, for the worker to report to DR."""

from __future__ import annotations

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option
from orderfsm.cli.reports import echo_result, parse_items


@click.command("fulfil")
@click.argument("upstream_id")
@click.argument("items", nargs=-1, required=True, metavar="ITEM_ID=QTY...")
@click.option("--tracking-company", metavar="C", help="The carrier (e.g. UPS).")
@click.option("--tracking-number", metavar="N", help="The carrier's tracking number.")
@click.option("--tracking-url", metavar="U", help="Where the shopper follows the parcel.")
@db_option
def fulfil(
    upstream_id: str,
    items: tuple[str, ...],
    tracking_company: str | None,
    tracking_number: str | None,
    tracking_url: str | None,
    db_url: str,
) -> None:
    """Record that the platform shipped ITEM_ID=QTY... of the order UPSTREAM_ID.

    The lifecycle accepts it while DR's order is accepted and never past what
    is open of an item (exit 1 with the reason otherwise). `orderfsm worker`
    with DR settings then sends it to DR with POST /fulfillments, once.

    \b
    Example:
      orderfsm fulfil SHOP-0001 24000000000101=1 --tracking-company UPS \\
        --tracking-number 1Z999 --db sqlite:///shop.db
    """
    # Loaded here so that `orderfsm --help` stays fast.
    from orderfsm.fsm.items import Tracking
    from orderfsm.service import Engine

    lines = parse_items(items, cancelling=False)
    tracking = Tracking(tracking_company, tracking_number, tracking_url)
    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine:
        result = engine.report_fulfilment(upstream_id, lines, tracking=tracking)
    echo_result(result, "fulfilment")
