"""``orderfsm submit``: send an order to DR and record its answer, recovering lost ones."""

from __future__ import annotations

import json

import click

from orderfsm.cli.options import db_option, dr_api_options


@click.command("submit")
@click.argument("upstream_id")
@click.argument("checkout_id")
@db_option
@dr_api_options
@click.option("--json", "as_json", is_flag=True, help='Print {"upstreamId","orderId","state"}.')
def submit(
    upstream_id: str,
    checkout_id: str,
    db_url: str,
    dr_url: str,
    dr_key: str | None,
    as_json: bool,
) -> None:
    """Submit CHECKOUT_ID to Digital River as the order UPSTREAM_ID.

    Records DR's answer (201, 409, 404 or 400). A lost answer (timeout,
    reset, 5xx) is recovered by looking the order up by checkout id before
    any resend, so a checkout never makes two DR orders. Exits 1 with one
    line when DR cannot be reached after the retries; the order then stays
    `submitted`.

    \b
    Example:
      orderfsm sandbox --port 8765 &
      export ORDERFSM_DR_API_URL=http://127.0.0.1:8765 ORDERFSM_DR_API_KEY=sk_test_sandbox
      orderfsm submit SHOP-0001 chk-0001 --db sqlite:///shop.db --json
    """
    # Loaded here so that `orderfsm --help` stays fast.
    from orderfsm.adapters.digitalriver.api_config import DrApiConfig
    from orderfsm.adapters.digitalriver.client import DrClient
    from orderfsm.service import Engine
    from orderfsm.service.submission import submit_to_dr

    if not dr_key:
        raise click.UsageError(
            "no Digital River secret key: pass --dr-key or set ORDERFSM_DR_API_KEY"
        )
    config = DrApiConfig(secret_key=dr_key, base_url=dr_url)
    with Engine.open(db_url, create_if_empty=True) as engine, DrClient(config) as client:
        outcome = submit_to_dr(engine, client, upstream_id, checkout_id)
    if as_json:
        click.echo(json.dumps(outcome.to_json()))
        return
    if outcome.status is None:
        said = "already past submitted, nothing sent"
    else:
        how = " (recovered with GET /orders)" if outcome.recovered else ""
        said = f"DR answered {outcome.status}{how}"
    click.echo(
        f"{outcome.upstream_id}: {said}; DR order {outcome.order_id or '-'}, state {outcome.state}"
    )
