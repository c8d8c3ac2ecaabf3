"""The Telegram update inbox: raw updates keyed by update_id (webhook and polling).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=_now),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')",
                           name="ck_processed_updates_status"),
    )
    op.create_index("ix_processed_updates_status", "processed_updates", ["status", "update_id"])


def downgrade() -> None:
    op.drop_index("ix_processed_updates_status", "processed_updates")
    op.drop_table("processed_updates")
