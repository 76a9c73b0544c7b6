"""``orderfsm refresh``: read orders from DR and apply what it says, as a webhook would."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option, dr_api_options
from orderfsm.cli.stuck import deadline_option, state_deadlines
from orderfsm.cli.text import visible


@click.command("refresh")
@click.argument("refs", nargs=-1)
@click.option("--stuck", is_flag=True, help="Also every order past its state's deadline.")
@deadline_option
@db_option
@dr_api_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per order.")
def refresh(
    refs: tuple[str, ...],
    stuck: bool,
    deadlines: dict[str, timedelta],
    db_url: str,
    dr_url: str,
    dr_key: str | None,
    as_json: bool,
) -> None:
    """Read orders REF... (or the stuck ones) from Digital River and apply their state.

    An order whose DR id is unknown (a lost POST /orders answer) is looked
    up by checkout id. DR's order goes through the lifecycle with the
    webhooks' rules: an older state is stale, a newer one is walked to. An
    order DR never created is reported as `not_created`.

    \b
    Example:
      orderfsm refresh SHOP-0001 --db sqlite:///shop.db
      orderfsm refresh --stuck --deadline submitted=5m --json
    """
    from orderfsm.adapters.digitalriver.api_config import DrApiConfig
    from orderfsm.adapters.digitalriver.client import DrClient
    from orderfsm.service import Engine
    from orderfsm.service.refresh import refresh_order
    from orderfsm.service.stuck import stuck_orders

    if not refs and not stuck:
        raise click.UsageError("name orders to refresh, or pass --stuck")
    if not dr_key:
        raise click.UsageError(
            "no Digital River secret key: pass --dr-key or set ORDERFSM_DR_API_KEY"
        )
    overrides = state_deadlines(deadlines)
    config = DrApiConfig(secret_key=dr_key, base_url=dr_url)
    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine, DrClient(config) as client:
        chosen = list(dict.fromkeys(refs))
        if stuck:
            late = stuck_orders(engine, deadlines=overrides)
            chosen += [o.upstream_id for o in late if o.upstream_id not in chosen]
        results = [refresh_order(engine, client, ref) for ref in chosen]
    for result in results:
        if as_json:
            click.echo(json.dumps(result.to_json()))
            continue
        dr_said = f"DR {result.dr_state}" if result.dr_state else "DR has no order"
        outcome = f" ({result.outcome})" if result.outcome else ""
        click.echo(
            visible(
                f"{result.upstream_id}: {dr_said}; {result.status.value}, "
                f"now {result.state}{outcome}"
            )
        )
    if not results:
        click.echo("nothing to refresh")
