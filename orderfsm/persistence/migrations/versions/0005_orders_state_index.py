"""index orders by state

Orders per state (the metrics' ``orderfsm_orders`` gauge, counts per state)
and the orders of the live states (stuck orders) were scans of the whole
``orders`` table, whose rows carry DR's snapshot: at 100,000 orders a scrape
read took a quarter of a second on SQLite. The index makes both a scan of
small index entries; with ``created_at`` beside the state, the live orders
younger than their deadline (most of them) are ruled out without reading
their rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_state_created", "orders", ["state", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_state_created", table_name="orders")
