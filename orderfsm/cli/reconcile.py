"""``orderfsm reconcile``: read missed events from DR's ``GET /events`` and apply them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from orderfsm.cli.options import db_option, dr_api_options

DR_EVENT_RETENTION_DAYS = 30
"""DR keeps events 30 days (``orderfsm.service.reconcile.DR_EVENT_RETENTION``)."""


def _read_since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("reconcile")
@click.option(
    "--since",
    metavar="ISO-8601",
    callback=_read_since,
    help="Read events created after this time (default: where the last run stopped).",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help=f"Read the last N days of events (at most {DR_EVENT_RETENTION_DAYS}).",
)
@db_option
@dr_api_options
@click.option("--json", "as_json", is_flag=True, help="Print the counts as a JSON object.")
def reconcile(
    since: datetime | None,
    days: int | None,
    db_url: str,
    dr_url: str,
    dr_key: str | None,
    as_json: bool,
) -> None:
    """Read missed events from Digital River's GET /events into the inbox and apply them.

    Each event is stored in the inbox the receiver uses (a webhook already
    received is a duplicate) and applied as the worker would. The cursor is
    kept in the database: with no flag, a run continues where the last one
    stopped (with an overlap, since DR promises no order), also after a crash.
    DR keeps events 30 days; an older --since is refused.

    \b
    Example:
      export ORDERFSM_DR_API_URL=http://127.0.0.1:8765 ORDERFSM_DR_API_KEY=sk_test_sandbox
      orderfsm reconcile --db sqlite:///shop.db
      orderfsm reconcile --days 3 --json
    """
    # Loaded here so that `orderfsm --help` stays fast.
    from orderfsm.adapters.digitalriver.api_config import DrApiConfig
    from orderfsm.adapters.digitalriver.client import DrClient
    from orderfsm.service import Engine
    from orderfsm.service.reconcile import reconcile as run_reconcile

    if since is not None and days is not None:
        raise click.UsageError("give --since or --days, not both")
    if not dr_key:
        raise click.UsageError(
            "no Digital River secret key: pass --dr-key or set ORDERFSM_DR_API_KEY"
        )
    if days is not None:
        if days > DR_EVENT_RETENTION_DAYS:
            raise click.UsageError(f"--days {days}: DR keeps events {DR_EVENT_RETENTION_DAYS} days")
        since = datetime.now(UTC) - timedelta(days=days) + timedelta(seconds=1)
    config = DrApiConfig(secret_key=dr_key, base_url=dr_url)
    with Engine.open(db_url, create_if_empty=True) as engine, DrClient(config) as client:
        report = run_reconcile(engine, client, since=since)
    click.echo(json.dumps(report.to_json()) if as_json else report.line())
