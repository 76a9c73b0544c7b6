"""Alembic environment: runs against the engine orderfsm hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from orderfsm.persistence.tables import METADATA

MIGRATION_LOCK = 0x6F72_6466_736D_0001
"""The advisory lock key that serializes migrations on PostgreSQL ("ordfsm" 1)."""

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may bring the same empty database up at once;
            # the later ones wait here, then find it at head and do nothing.
            # (SQLite: BEGIN IMMEDIATE already admits one writer at a time.)
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()
    connection.commit()
