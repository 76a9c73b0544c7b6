"""Options shared by several commands; the environment is read here and nowhere else.

Imports only click: every command's ``--help`` reads these. The environment
names are the receiver's too (``orderfsm.adapters.http.config`` reads them
back in ``serve --workers N``); tests/architecture checks that they agree,
so importing this module need not load the receiver's package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.decorators import FC

from orderfsm.cli.redact import remember_url

ENV_DB = "ORDERFSM_DB"
ENV_SECRETS = "ORDERFSM_WEBHOOK_SECRETS"
DEFAULT_DB = "sqlite:///orderfsm.db"
INBOX_STATUSES = ("received", "applied", "dead")
"""``orderfsm.persistence.InboxStatus``'s values (that module loads SQLAlchemy)."""
EFFECT_STATUSES = ("pending", "done", "failed", "dead")
"""``orderfsm.persistence.EffectStatus``'s values (that module loads SQLAlchemy)."""


def read_database_url(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> str | None:
    """Note the ``--db`` URL, so that no message ever shows its password (see redact)."""
    return remember_url(value) if value is not None else None


def database_option(
    default: str | None = DEFAULT_DB,
    help: str = "Database URL (sqlite:///FILE or postgresql://...).",
) -> Callable[[FC], FC]:
    """``--db URL`` (or ``ORDERFSM_DB``); opening it reports a bad URL in one line."""
    return click.option(
        "--db",
        "db_url",
        envvar=ENV_DB,
        default=default,
        show_default=default is not None,
        show_envvar=True,
        metavar="URL",
        callback=read_database_url,
        help=help,
    )


db_option = database_option()


class SecretType(click.types.StringParamType):
    """A signing secret; from the environment, a comma-separated list of them."""

    name = "secret"
    envvar_list_splitter = ","

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return super().convert(value, param, ctx).strip()


secrets_option = click.option(
    "--secret",
    "secrets",
    multiple=True,
    type=SecretType(),
    envvar=ENV_SECRETS,
    show_envvar=True,
    metavar="SECRET",
    help="Webhook signing secret; repeat during a rotation (env: comma separated). Never printed.",
)


ENV_DR_API_URL = "ORDERFSM_DR_API_URL"
ENV_DR_API_KEY = "ORDERFSM_DR_API_KEY"
DEFAULT_DR_API_URL = "https://api.digitalriver.com"


def dr_api_options(command: FC) -> FC:
    """``--dr-url`` and ``--dr-key`` (or their environment variables); the key is never shown."""
    command = click.option(
        "--dr-key",
        "dr_key",
        envvar=ENV_DR_API_KEY,
        show_envvar=True,
        metavar="KEY",
        help="Digital River secret key (sk_...). Never printed.",
    )(command)
    return click.option(
        "--dr-url",
        "dr_url",
        envvar=ENV_DR_API_URL,
        default=DEFAULT_DR_API_URL,
        show_default=True,
        show_envvar=True,
        metavar="URL",
        help="Digital River API base URL (the sandbox's, for local runs).",
    )(command)
