"""Options shared by several commands; the environment is read here and nowhere else."""

from __future__ import annotations

import click

DEFAULT_DB = "sqlite:///orderfsm.db"

db_option = click.option(
    "--db",
    "db_url",
    envvar="ORDERFSM_DB",
    default=DEFAULT_DB,
    show_default=True,
    show_envvar=True,
    metavar="URL",
    help="Database URL (sqlite:///FILE or postgresql://...).",
)
