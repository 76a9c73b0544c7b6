"""``orderfsm db``: schema migrations."""

from __future__ import annotations

import click

from orderfsm.cli.options import db_option


@click.group("db")
def db() -> None:
    """Manage the database schema.

    \b
    Example:
      orderfsm db upgrade --db postgresql://postgres@127.0.0.1:5432/shop
    """


@db.command("upgrade")
@db_option
def upgrade_command(db_url: str) -> None:
    """Bring the database to the newest schema (creates it when empty).

    \b
    Example:
      orderfsm db upgrade --db sqlite:///orderfsm.db
    """
    # Imported here: `orderfsm db --help` needs none of the database stack.
    from orderfsm.persistence import open_engine, upgrade
    from orderfsm.persistence.schema import current_revision

    engine = open_engine(db_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"schema: {before or 'empty'} -> {after}")


@db.command("current")
@db_option
def current_command(db_url: str) -> None:
    """Print the schema revision of the database and the one this orderfsm needs.

    \b
    Example:
      orderfsm db current --db sqlite:///orderfsm.db
    """
    from orderfsm.cli.existing import missing_sqlite_file
    from orderfsm.persistence import open_engine
    from orderfsm.persistence.schema import current_revision, head_revision

    current = None
    if missing_sqlite_file(db_url) is None:  # a SQLite file that is not there is empty: not made
        engine = open_engine(db_url)
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    head = head_revision()
    state = "up to date" if current == head else "behind: run orderfsm db upgrade"
    click.echo(f"database: {current or 'empty'}; package: {head} ({state})")
