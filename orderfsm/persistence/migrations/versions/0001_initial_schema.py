"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_status", ["status", "id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upstream_id", sa.String(length=255), nullable=False),
        sa.Column("checkout_id", sa.String(length=255), nullable=True),
        sa.Column("dr_order_id", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("fraud_state", sa.String(length=32), nullable=True),
        sa.Column("charges", sa.JSON(), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("dispute_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dr_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkout_id"),
        sa.UniqueConstraint("dr_order_id"),
        sa.UniqueConstraint("upstream_id"),
    )
    op.create_table(
        "parked_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column("dr_order_id", sa.String(length=255), nullable=True),
        sa.Column("checkout_id", sa.String(length=255), nullable=True),
        sa.Column("upstream_id", sa.String(length=255), nullable=True),
        sa.Column("dr_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("parked_signals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parked_signals_checkout_id"), ["checkout_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_parked_signals_dr_order_id"), ["dr_order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_parked_signals_upstream_id"), ["upstream_id"], unique=False
        )

    op.create_table(
        "order_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=128), nullable=True),
        sa.Column("dr_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.create_index("ix_order_history_order", ["order_id", "id"], unique=False)
        batch_op.create_index(
            "uq_order_history_event",
            ["event_id"],
            unique=True,
            sqlite_where=sa.text("step = 0 AND outcome NOT IN ('duplicate', 'parked')"),
            postgresql_where=sa.text("step = 0 AND outcome NOT IN ('duplicate', 'parked')"),
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("effect", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_order_id"))
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_order_history_event",
            sqlite_where=sa.text("step = 0 AND outcome NOT IN ('duplicate', 'parked')"),
            postgresql_where=sa.text("step = 0 AND outcome NOT IN ('duplicate', 'parked')"),
        )
        batch_op.drop_index("ix_order_history_order")

    op.drop_table("order_history")
    with op.batch_alter_table("parked_signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parked_signals_upstream_id"))
        batch_op.drop_index(batch_op.f("ix_parked_signals_dr_order_id"))
        batch_op.drop_index(batch_op.f("ix_parked_signals_checkout_id"))

    op.drop_table("parked_signals")
    op.drop_table("orders")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_status")

    op.drop_table("inbox")
