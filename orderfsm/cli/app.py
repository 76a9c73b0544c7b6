"""The command group; every user mistake ends as one clear line and a non-zero exit.

Only click is imported here: each command's module (and SQLAlchemy, rich,
pydantic, the engine behind it) is imported when that command runs. Every
error path prints through :func:`~orderfsm.cli.redact.redact`, so no
password from a URL is ever shown.
"""

from __future__ import annotations

import sys

import click

from orderfsm.cli.lazy import LazyCommand, LazyGroup
from orderfsm.cli.redact import redact
from orderfsm.cli.text import visible

COMMANDS = {
    "apply": LazyCommand(
        "orderfsm.cli.apply:apply",
        "Apply journal FILES (JSON lines: DR events, submits, POST /orders answers).",
    ),
    "cancel": LazyCommand(
        "orderfsm.cli.cancel:cancel",
        "Record that the platform cancelled ITEM_ID=QTY... (or --all) of the order UPSTREAM_ID.",
    ),
    "console": LazyCommand(
        "orderfsm.cli.console:console",
        "Serve the operator console: orders, one order's story, lifecycle, inbox, effects.",
    ),
    "db": LazyCommand("orderfsm.cli.db:db", "Manage the database schema."),
    "demo": LazyCommand(
        "orderfsm.cli.demo:demo",
        "Run the whole loop on this machine against a local DR: orders, webhooks, fulfilments.",
    ),
    "diagram": LazyCommand(
        "orderfsm.cli.diagram:diagram",
        "Draw the lifecycle table, or the path one stored order took through it.",
    ),
    "effects": LazyCommand(
        "orderfsm.cli.effects:effects",
        "List the effects in the outbox (default), or re-queue a dead one.",
    ),
    "fulfil": LazyCommand(
        "orderfsm.cli.fulfil:fulfil",
        "Record that the platform shipped ITEM_ID=QTY... of the order UPSTREAM_ID.",
    ),
    "inbox": LazyCommand(
        "orderfsm.cli.inbox:inbox", "List webhook deliveries the receiver stored, newest first."
    ),
    "lifecycle": LazyCommand(
        "orderfsm.cli.lifecycle:lifecycle",
        "Export the lifecycle table: states, edges, guards, effects and deadlines as JSON.",
    ),
    "orders": LazyCommand(
        "orderfsm.cli.orders:orders",
        "List orders, oldest update first: state, age and the last signal each saw.",
    ),
    "parked": LazyCommand(
        "orderfsm.cli.parked:parked",
        "List events waiting for an unknown order: what each waits for, and since when.",
    ),
    "reconcile": LazyCommand(
        "orderfsm.cli.reconcile:reconcile",
        "Read missed events from Digital River's GET /events into the inbox and apply them.",
    ),
    "refresh": LazyCommand(
        "orderfsm.cli.refresh:refresh",
        "Read orders REF... (or the stuck ones) from Digital River and apply their state.",
    ),
    "sandbox": LazyCommand(
        "orderfsm.cli.sandbox:sandbox",
        "Serve a local, stateful Digital River: orders, events, fulfilments, webhooks.",
    ),
    "serve": LazyCommand(
        "orderfsm.cli.serve:serve",
        "Receive Digital River webhooks: verify, store in the inbox, answer 202.",
    ),
    "show": LazyCommand(
        "orderfsm.cli.show:show", "Show the order REF (upstream id, DR order id or checkout id)."
    ),
    "stuck": LazyCommand(
        "orderfsm.cli.stuck:stuck", "List orders waiting in a state longer than its deadline."
    ),
    "submit": LazyCommand(
        "orderfsm.cli.submit:submit",
        "Submit CHECKOUT_ID to Digital River as the order UPSTREAM_ID.",
    ),
    "worker": LazyCommand(
        "orderfsm.cli.worker:worker",
        "Apply stored webhooks and deliver the outbox's effects to handlers.",
    ),
}
"""Every command: where it lives and its summary (the first line of its docstring)."""


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="orderfsm")
def cli() -> None:
    """Run orders' lifecycle against Digital River.

    \b
    Example:
      orderfsm demo
      orderfsm apply --db sqlite:///shop.db journal.jsonl
      orderfsm show SHOP-0001 --db sqlite:///shop.db
      orderfsm diagram -o lifecycle.svg
      orderfsm diagram --diff main -o lifecycle-diff.svg
      orderfsm serve --db sqlite:///shop.db --secret-file secrets.txt --port 8080
      orderfsm worker --db sqlite:///shop.db --sink jsonl:effects.jsonl
      orderfsm inbox --db sqlite:///shop.db --status dead
      orderfsm orders --db sqlite:///shop.db --older-than 15m
      orderfsm console --db sqlite:///shop.db
      orderfsm sandbox --port 8765
      orderfsm submit SHOP-0001 chk-0001 --dr-url http://127.0.0.1:8765 --dr-key sk_test_sandbox
      orderfsm fulfil SHOP-0001 24000000000101=1 --tracking-number 1Z999 --db sqlite:///shop.db
      orderfsm cancel SHOP-0001 --all --db sqlite:///shop.db
    """


def main() -> None:
    """Console entry point: domain and database errors become ``error: ...`` and exit 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        # click's typing marks ``message`` final; its show() reads it, so redact it in place.
        setattr(exc, "message", redact(exc.message))  # noqa: B010
        exc.show()  # the usage line, then click's "Error: ..." (exit 2)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        # A command's own failure (diagram, lifecycle): one line as every other command says it.
        click.echo(redact(f"error: {exc.format_message()}"), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        # Imported here: only a failing run pays for classifying its error.
        from orderfsm.cli.errors import error_line, internal_error

        line = error_line(exc)
        shown = visible(line) if line is not None else internal_error(exc)
        click.echo(redact(shown), err=True)
        sys.exit(1)
