"""``orderfsm console``: the operator console under uvicorn.

The password comes from the environment (or a file), never from argv
(``ps`` shows argv to every local user). Without one the console listens on
loopback only; any other ``--host`` is refused before anything starts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.logs import LogFormat, log_format_option
from orderfsm.cli.options import db_option

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from orderfsm.console import ConsoleConfig
    from orderfsm.service import Engine

DEFAULT_PORT = 8300
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# Constants, not imports: `orderfsm console --help` loads no Starlette (the
# test of the console checks them against orderfsm.console.config).
ENV_PASSWORD = "ORDERFSM_CONSOLE_PASSWORD"
ENV_PASSWORD_FILE = "ORDERFSM_CONSOLE_PASSWORD_FILE"
ENV_USER = "ORDERFSM_CONSOLE_USER"
DEFAULT_USER = "operator"


@click.command("console")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--user",
    default=DEFAULT_USER,
    show_default=True,
    envvar=ENV_USER,
    show_envvar=True,
    help=f"The operator's user name for basic auth (its password: {ENV_PASSWORD}).",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=ENV_PASSWORD_FILE,
    show_envvar=True,
    help=f"File whose first line is the password (else {ENV_PASSWORD}).",
)
@click.option("--log-level", default="info", show_default=True, type=click.Choice(LOG_LEVELS))
@log_format_option
def console(
    db_url: str,
    host: str,
    port: int,
    user: str,
    password_file: Path | None,
    log_level: str,
    log_format: LogFormat,
) -> None:
    """Serve the operator console: orders, one order's story, lifecycle, inbox, effects.

    It serves Prometheus metrics at /metrics too, behind the same credentials.
    Every page and retry needs the credentials when a password is set
    (basic auth as USER, or `Authorization: Bearer PASSWORD`). Without one
    it serves loopback only, and refuses to start on another host.

    \b
    Example:
      orderfsm console --db sqlite:///shop.db
      ORDERFSM_CONSOLE_PASSWORD=... orderfsm console --db postgresql+psycopg://shop@db/shop \\
          --host 0.0.0.0 --port 8300
    """
    # Imported here: `orderfsm console --help` needs neither Starlette nor the engine.
    from orderfsm.cli.errors import safe_url
    from orderfsm.cli.logs import log_to_terminal
    from orderfsm.cli.text import visible
    from orderfsm.extras import SERVER, require

    require(SERVER, "orderfsm console")
    from orderfsm.console import ConsoleConfig, Credentials
    from orderfsm.console.auth import loopback_host
    from orderfsm.service import Engine

    password = _password(password_file)
    if not password and not loopback_host(host):
        raise click.UsageError(
            f"--host {host} is not loopback: set {ENV_PASSWORD} (or --password-file) so that "
            "every page and action needs credentials"
        )
    refuse_missing_sqlite(db_url)
    engine = Engine.open(db_url)
    credentials = Credentials(user, password) if password else None
    log_to_terminal(log_format=log_format)
    shown_host = f"[{host}]" if ":" in host else host
    access = f"basic auth as {user}" if credentials else "loopback only, no password"
    database = safe_url(db_url)
    banner = f"orderfsm console: http://{shown_host}:{port}/ (database {database}, {access})"
    click.echo(visible(banner), err=True)
    try:
        app = _app(ConsoleConfig(engine, credentials), engine)
        _run(app, host=host, port=port, log_level=log_level, log_format=log_format)
    finally:
        engine.close()


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise click.UsageError(
                f"cannot read --password-file {password_file}: {exc.strerror or exc}"
            ) from None
        return lines[0].strip() if lines else ""
    return os.environ.get(ENV_PASSWORD, "").strip()


def _app(config: ConsoleConfig, engine: Engine) -> Starlette:
    """The console of ``engine``'s database, with its gauges at ``/metrics`` behind the gate."""
    from orderfsm.console import console_app
    from orderfsm.observability import Metrics
    from orderfsm.observability.asgi import metrics_route

    metrics = Metrics()
    metrics.watch_database(engine.db, deadlines=config.deadlines)
    return console_app(config, extra_routes=[metrics_route(metrics.registry)])


def _run(app: Starlette, *, host: str, port: int, log_level: str, log_format: LogFormat) -> None:
    import uvicorn

    from orderfsm.cli.serve import uvicorn_log_config

    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            log_config=uvicorn_log_config(log_format, log_level),
        )
    )
    server.run()
    if not server.started:
        raise SystemExit(1)
