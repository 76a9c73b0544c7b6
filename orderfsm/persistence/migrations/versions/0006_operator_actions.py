"""operator actions (retries from the console or the CLI, and who did them); orders by state and id

The console pages a state's orders newest first: an index on ``state`` alone
holds them in id order, so a page needs no sort (0005's ``(state,
created_at)`` serves the metrics and the stuck scan).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_operator_actions_order", "operator_actions", ["order_id", "id"])
    op.create_index("ix_orders_state_id", "orders", ["state"])


def downgrade() -> None:
    op.drop_index("ix_orders_state_id", table_name="orders")
    op.drop_index("ix_operator_actions_order", table_name="operator_actions")
    op.drop_table("operator_actions")
