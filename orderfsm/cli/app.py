"""The command group; every user mistake ends as one clear line and a non-zero exit."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from orderfsm.cli.apply import apply
from orderfsm.cli.db import db
from orderfsm.cli.demo import demo
from orderfsm.cli.diagram import diagram
from orderfsm.cli.effects import effects
from orderfsm.cli.errors import database_error_line
from orderfsm.cli.inbox import inbox
from orderfsm.cli.sandbox import sandbox
from orderfsm.cli.serve import serve
from orderfsm.cli.show import show
from orderfsm.cli.submit import submit
from orderfsm.cli.worker import worker
from orderfsm.errors import MissingExtra, OrderFsmError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="orderfsm")
def cli() -> None:
    """Run orders' lifecycle against Digital River.

    \b
    Example:
      orderfsm demo
      orderfsm apply --db sqlite:///shop.db journal.jsonl
      orderfsm show SHOP-0001 --db sqlite:///shop.db
      orderfsm diagram -o lifecycle.svg
      orderfsm serve --db sqlite:///shop.db --secret whsec_... --port 8080
      orderfsm worker --db sqlite:///shop.db --sink jsonl:effects.jsonl
      orderfsm inbox --db sqlite:///shop.db --status dead
      orderfsm sandbox --port 8765
      orderfsm submit SHOP-0001 chk-0001 --dr-url http://127.0.0.1:8765 --dr-key sk_test_sandbox
    """


for command in (apply, db, demo, diagram, effects, inbox, sandbox, serve, show, submit, worker):
    cli.add_command(command)


def main() -> None:
    """Console entry point: domain errors become ``error: ...`` and exit 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except MissingExtra as exc:
        click.echo(str(exc), err=True)  # already a complete sentence: what to install
        sys.exit(1)
    except OrderFsmError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        click.echo(f"error: {database_error_line(exc)}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
