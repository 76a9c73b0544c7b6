"""Alembic environment: runs against the engine orderfsm hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from orderfsm.persistence.tables import METADATA

MIGRATION_LOCK = 0x6F72_6466_736D_0001
"""The advisory lock key that serializes migrations on PostgreSQL ("ordfsm" 1)."""

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=sqlite,
        # SQLite's DDL is transactional too: one transaction for the whole run.
        # Alembic's default there is one per migration, which lets another
        # process migrating the same new file slip in between two steps of this
        # one (both then add item_tallies: "duplicate column name").
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if not sqlite:
            # Several processes may bring the same empty database up at once;
            # the later ones wait here, then find it at head and do nothing.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        # SQLite: the transaction began with BEGIN IMMEDIATE (database.py), before
        # Alembic reads the revision, so the later processes wait for the writer
        # lock and then find the database at head.
        context.run_migrations()
    connection.commit()
