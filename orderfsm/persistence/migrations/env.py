"""Alembic environment: runs against the engine orderfsm hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from orderfsm.persistence.tables import METADATA

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
