"""``orderfsm serve``: the webhook receiver under uvicorn."""

from __future__ import annotations

import copy
import os
from datetime import timedelta
from typing import Any

import click

from orderfsm.adapters.http.config import (
    DEFAULT_MAX_BODY_BYTES,
    ENV_BASIC_AUTH_PASSWORD,
    ENV_BASIC_AUTH_USER,
    WEBHOOK_PATH,
    BasicAuth,
    ReceiverConfig,
)
from orderfsm.cli.errors import safe_url
from orderfsm.cli.options import db_option, secrets_option
from orderfsm.service import Engine


@click.command("serve")
@db_option
@secrets_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (each one a full receiver).",
)
@click.option(
    "--tolerance",
    default=300.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Accept a signature timestamp this far from now.",
)
@click.option(
    "--max-body-bytes",
    default=DEFAULT_MAX_BODY_BYTES,
    show_default=True,
    type=click.IntRange(min=1),
    help="Refuse larger bodies with 413.",
)
@click.option("--path", default=WEBHOOK_PATH, show_default=True, help="Where DR posts events.")
@click.option(
    "--basic-auth-user",
    envvar=ENV_BASIC_AUTH_USER,
    show_envvar=True,
    help="Also require HTTP basic credentials (as configured in DR's webhook).",
)
@click.option(
    "--basic-auth-password",
    envvar=ENV_BASIC_AUTH_PASSWORD,
    show_envvar=True,
    help="Password for --basic-auth-user. Never printed.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    db_url: str,
    secrets: tuple[str, ...],
    host: str,
    port: int,
    workers: int,
    tolerance: float,
    max_body_bytes: int,
    path: str,
    basic_auth_user: str | None,
    basic_auth_password: str | None,
    log_level: str,
) -> None:
    """Receive Digital River webhooks: verify, store in the inbox, answer 202.

    Lifecycle work happens in `orderfsm worker`, never in the request. The
    secrets and the database password are never printed or logged.

    \b
    Example:
      export ORDERFSM_WEBHOOK_SECRETS=whsec_current,whsec_previous
      orderfsm serve --db postgresql+psycopg://shop@127.0.0.1/shop --port 8080 --workers 4
    """
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        raise click.UsageError(
            "give the webhook signing secret: --secret or ORDERFSM_WEBHOOK_SECRETS"
        )
    if basic_auth_user and not basic_auth_password:
        raise click.UsageError("--basic-auth-user needs --basic-auth-password")
    config = ReceiverConfig(
        database=db_url,
        secrets=secrets,
        tolerance=timedelta(seconds=tolerance),
        max_body_bytes=max_body_bytes,
        basic_auth=BasicAuth(basic_auth_user, basic_auth_password or "")
        if basic_auth_user
        else None,
        path=path,
    )
    # Refuse a database that is unreachable or behind now, in one line, rather
    # than on DR's first delivery; a brand-new empty one gets the schema.
    Engine.open(db_url, create_if_empty=True).close()
    click.echo(
        f"orderfsm: receiving Digital River webhooks at http://{host}:{port}{path} "
        f"({len(secrets)} signing secret(s), database {safe_url(db_url)}, {workers} worker(s))",
        err=True,
    )
    run_receiver(config, host=host, port=port, workers=workers, log_level=log_level)


def run_receiver(
    config: ReceiverConfig, *, host: str, port: int, workers: int, log_level: str
) -> None:
    """Serve the receiver until interrupted; several workers read their config from env."""
    import uvicorn

    from orderfsm.adapters.http import APP_FACTORY, create_app

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": _log_config(),
    }
    if workers == 1:
        uvicorn.run(create_app(config), **options)
        return
    # uvicorn starts each worker from an import string, so the configuration
    # travels through this process's environment (inherited by the workers).
    os.environ.update(config.to_env())
    uvicorn.run(APP_FACTORY, factory=True, workers=workers, **options)


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus orderfsm's own messages (refusals, storage errors)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["orderfsm"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
