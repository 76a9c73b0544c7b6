"""Options shared by several commands; the environment is read here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.decorators import FC

from orderfsm.adapters.http.config import ENV_DB, ENV_SECRETS
from orderfsm.cli.errors import url_problem

DEFAULT_DB = "sqlite:///orderfsm.db"


def _checked_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    problem = url_problem(value) if value is not None else None
    if problem is not None:
        raise click.BadParameter(problem)
    return value


def database_option(
    default: str | None = DEFAULT_DB,
    help: str = "Database URL (sqlite:///FILE or postgresql://...).",
) -> Callable[[FC], FC]:
    """``--db URL`` (or ``ORDERFSM_DB``), checked before anything connects."""
    return click.option(
        "--db",
        "db_url",
        envvar=ENV_DB,
        default=default,
        show_default=default is not None,
        show_envvar=True,
        metavar="URL",
        callback=_checked_url,
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
