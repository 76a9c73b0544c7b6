"""Options shared by several commands; the environment is read here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.decorators import FC

from orderfsm.adapters.http.config import ENV_DB, ENV_SECRETS

DEFAULT_DB = "sqlite:///orderfsm.db"


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
