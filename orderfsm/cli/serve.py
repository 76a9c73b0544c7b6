"""``orderfsm serve``: the webhook receiver under uvicorn, bounded against slow or idle clients.

Secrets come from the environment or a file; on the command line they still
work but are warned against, since ``ps`` shows every process's argv to every
local user.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orderfsm.cli.logs import LogFormat, log_format_option
from orderfsm.cli.options import ENV_SECRETS, db_option
from orderfsm.cli.redact import redact_url
from orderfsm.cli.serve_outage import database_outage
from orderfsm.cli.serve_secrets import (
    ARGV_WARNING,
    password_from,
    secrets_from,
    warn_about_argv,
)

if TYPE_CHECKING:
    from orderfsm.adapters.http.config import ReceiverConfig

# The receiver's defaults, copied so that `serve --help` loads neither
# SQLAlchemy nor pydantic (tests/architecture checks they agree with
# orderfsm.adapters.http.config and ReceiverConfig).
WEBHOOK_PATH = "/webhooks/digitalriver"
DEFAULT_TOLERANCE_S = 300.0
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_MAX_CONNECTIONS = 512
DEFAULT_BODY_TIMEOUT_S = 10.0
ENV_SECRET_FILE = "ORDERFSM_WEBHOOK_SECRET_FILE"
ENV_BASIC_AUTH_USER = "ORDERFSM_WEBHOOK_BASIC_AUTH_USER"
ENV_BASIC_AUTH_PASSWORD = "ORDERFSM_WEBHOOK_BASIC_AUTH_PASSWORD"
ENV_BASIC_AUTH_PASSWORD_FILE = "ORDERFSM_WEBHOOK_BASIC_AUTH_PASSWORD_FILE"

DEFAULT_KEEP_ALIVE_S = 5.0
"""An idle kept-alive connection is closed after this long (uvicorn's own default)."""


@click.command("serve")
@db_option
@click.option(
    "--secret",
    "argv_secrets",
    multiple=True,
    metavar="SECRET",
    help=f"Webhook signing secret; repeat during a rotation. Avoid: {ARGV_WARNING}; "
    f"use {ENV_SECRETS} (comma separated, newest first) or --secret-file.",
)
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=ENV_SECRET_FILE,
    show_envvar=True,
    help="File of webhook signing secrets, one a line, the newest first.",
)
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
    default=DEFAULT_TOLERANCE_S,
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
@click.option(
    "--header-timeout",
    default=DEFAULT_HEADER_TIMEOUT_S,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Close a connection whose request headers are not complete this long after it "
    "opened (or its request began), with 408.",
)
@click.option(
    "--body-timeout",
    default=DEFAULT_BODY_TIMEOUT_S,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Answer 408 and close when a body is not fully received this long after its headers.",
)
@click.option(
    "--max-header-bytes",
    default=DEFAULT_MAX_HEADER_BYTES,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Refuse request headers larger than this with 431.",
)
@click.option(
    "--max-connections",
    default=DEFAULT_MAX_CONNECTIONS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Open connections per server process (keep it below `ulimit -n`); at the cap a new "
    "one evicts the oldest idle or half-open one, or gets 503 when all are busy.",
)
@click.option(
    "--keep-alive",
    default=DEFAULT_KEEP_ALIVE_S,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Close an idle kept-alive connection after this long.",
)
@click.option("--path", default=WEBHOOK_PATH, show_default=True, help="Where DR posts events.")
@click.option(
    "--basic-auth-user",
    envvar=ENV_BASIC_AUTH_USER,
    show_envvar=True,
    help="Also require HTTP basic credentials (as configured in DR's webhook); they also "
    "unlock the backlog in /healthz.",
)
@click.option(
    "--basic-auth-password",
    envvar=ENV_BASIC_AUTH_PASSWORD,
    show_envvar=True,
    help=f"Password for --basic-auth-user. Never printed. On the command line it is "
    f"{ARGV_WARNING}: prefer the variable or --basic-auth-password-file.",
)
@click.option(
    "--basic-auth-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=ENV_BASIC_AUTH_PASSWORD_FILE,
    show_envvar=True,
    help="File whose first line is the password for --basic-auth-user.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@log_format_option
@click.pass_context
def serve(
    ctx: click.Context,
    db_url: str,
    argv_secrets: tuple[str, ...],
    secret_file: Path | None,
    host: str,
    port: int,
    workers: int,
    tolerance: float,
    max_body_bytes: int,
    header_timeout: float,
    body_timeout: float,
    max_header_bytes: int,
    max_connections: int,
    keep_alive: float,
    path: str,
    basic_auth_user: str | None,
    basic_auth_password: str | None,
    basic_auth_password_file: Path | None,
    log_level: str,
    log_format: LogFormat,
) -> None:
    """Receive Digital River webhooks: verify, store in the inbox, answer 202.

    Lifecycle work happens in `orderfsm worker`, never in the request. The
    secrets and the database password are never printed or logged. Give the
    secrets in ORDERFSM_WEBHOOK_SECRETS or --secret-file: on the command line
    (--secret, --basic-auth-password) they are visible to every local user in
    `ps`. Put a reverse proxy in front when the receiver faces the internet
    (README: "Behind a proxy").

    \b
    Example:
      export ORDERFSM_WEBHOOK_SECRETS=whsec_current,whsec_previous
      orderfsm serve --db postgresql+psycopg://shop@127.0.0.1/shop --port 8080 --workers 4
    """
    from datetime import timedelta

    from orderfsm.adapters.http.config import BasicAuth, ReceiverConfig
    from orderfsm.errors import ConfigurationError
    from orderfsm.extras import SERVER, require

    require(SERVER, "orderfsm serve")
    from orderfsm.cli.serve_log_format import started_line
    from orderfsm.observability.asgi import METRICS_PATH

    secrets = secrets_from(argv_secrets, secret_file)
    password = password_from(ctx, basic_auth_password, basic_auth_password_file)
    if basic_auth_user and not password:
        raise click.UsageError(
            "--basic-auth-user needs a password: "
            f"{ENV_BASIC_AUTH_PASSWORD} or --basic-auth-password-file"
        )
    try:
        config = ReceiverConfig(
            database=db_url,
            secrets=secrets,
            tolerance=timedelta(seconds=tolerance),
            max_body_bytes=max_body_bytes,
            basic_auth=BasicAuth(basic_auth_user, password or "") if basic_auth_user else None,
            path=path,
            body_timeout=body_timeout,
            create_if_empty=True,
        )
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from None
    outage = database_outage(db_url)
    # After the database check, so that a wrong URL still ends in one line.
    warn_about_argv(ctx, argv_secrets)
    banner = (
        f"orderfsm: receiving Digital River webhooks at http://{host}:{port}{path} "
        f"({len(secrets)} signing secret(s), database {redact_url(db_url)}, {workers} worker(s)); "
        f"metrics at {METRICS_PATH}"
    )
    click.echo(started_line(banner) if log_format is LogFormat.JSON else banner, err=True)
    if outage is not None:
        click.echo(
            f"orderfsm: warning: the database cannot take deliveries yet ({outage}); "
            "answering 503 (DR delivers again) until it can, no restart needed",
            err=True,
        )
    limits = ServerLimits(header_timeout, max_header_bytes, max_connections, keep_alive)
    run_receiver(
        config,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        limits=limits,
        log_format=log_format,
    )


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """What one uvicorn process lets unauthenticated clients hold."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT_S
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    keep_alive: float = DEFAULT_KEEP_ALIVE_S


def run_receiver(
    config: ReceiverConfig,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str,
    limits: ServerLimits = ServerLimits(),
    log_format: LogFormat = LogFormat.TEXT,
) -> None:
    """Serve the receiver until interrupted; several workers read their config from env."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from orderfsm.adapters.http import APP_FACTORY, create_app
    from orderfsm.adapters.http.metrics import observe
    from orderfsm.adapters.http.protocol import ServerConfig
    from orderfsm.heap import freeze_startup_heap
    from orderfsm.observability import Metrics

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": uvicorn_log_config(log_format, log_level),
        "header_timeout": limits.header_timeout,
        "max_header_bytes": limits.max_header_bytes,
        # Not uvicorn's limit_concurrency: it answers 503 only once headers are
        # in, and never frees a descriptor; BoundedHttpProtocol caps connections.
        "max_connections": limits.max_connections,
        "timeout_keep_alive": limits.keep_alive,
    }
    if workers == 1:
        app = observe(create_app(config), config, Metrics())
        freeze_startup_heap()
        server = uvicorn.Server(ServerConfig(app, **options))
        server.run()
        if not server.started:
            raise SystemExit(1)
        return
    # uvicorn starts each worker from an import string, so the configuration
    # travels through this process's environment (inherited by the workers);
    # what follows is uvicorn.run's own path for workers, with our protocol.
    os.environ.update(config.to_env())
    server_config = ServerConfig(APP_FACTORY, factory=True, workers=workers, **options)
    Multiprocess(server_config, sockets=[server_config.bind_socket()]).run()


def uvicorn_log_config(
    log_format: LogFormat = LogFormat.TEXT, level: str = "info"
) -> dict[str, Any]:
    """uvicorn's logging with UTC timestamps, plus orderfsm's own lines (one per delivery)."""
    from orderfsm.cli.serve_log_format import as_json
    from orderfsm.cli.serve_logs import receiver_log_config

    text = receiver_log_config(level)
    return as_json(text) if log_format is LogFormat.JSON else text
