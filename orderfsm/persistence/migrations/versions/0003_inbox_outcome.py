"""inbox outcome and order ref

Each applied inbox entry keeps what became of it (the lifecycle outcome,
``not_relevant``) and the order it concerned, so that ``orderfsm inbox``
tells an applied event from a parked or refused one. Additive: entries
applied before this revision have neither (shown as plain ``applied``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("upstream_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("upstream_id")
        batch_op.drop_column("outcome")
