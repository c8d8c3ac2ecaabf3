"""Outbox replay window: sent rows stay (with `sent_at`) until a batched purge removes them,
so the relay can send them again when Redis loses data. A partial index keeps the relay's
`WHERE sent = false ORDER BY id` read independent of how many sent rows are retained.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("sent_at", sa.DateTime(timezone=True)))
    op.create_index("ix_outbox_unsent", "outbox", ["id"],
                    sqlite_where=sa.text("sent = 0"), postgresql_where=sa.text("sent = false"))
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_sent_at", table_name="outbox")
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("sent_at")
