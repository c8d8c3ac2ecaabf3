"""Messaging: the outgoing message queue, blocked chats, broadcasts, command counts.

Revision ID: 0013
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_QUEUED = sa.text("status = 'queued'")
_SENDING = sa.text("status = 'sending'")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
        sa.CheckConstraint("segment IN ('all', 'vip', 'free')", name="ck_broadcasts_segment"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "outgoing_messages",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("dedupe_key", sa.Text, unique=True),
        sa.Column("broadcast_id", _id, sa.ForeignKey("broadcasts.id", ondelete="CASCADE")),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_before", sa.DateTime(timezone=True)),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claim_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
        sa.CheckConstraint("kind IN ('reply', 'notice', 'broadcast')",
                           name="ck_outgoing_messages_kind"),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'blocked')",
                           name="ck_outgoing_messages_status"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outgoing_queued", "outgoing_messages", ["priority", "id"],
                    sqlite_where=_QUEUED, postgresql_where=_QUEUED)
    op.create_index("ix_outgoing_sending", "outgoing_messages", ["claim_until"],
                    sqlite_where=_SENDING, postgresql_where=_SENDING)
    op.create_index("ix_outgoing_broadcast", "outgoing_messages", ["broadcast_id", "status"])
    op.create_index("ix_outgoing_created_at", "outgoing_messages", ["created_at"])
    op.create_table(
        "blocked_chats",
        sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "command_counts",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("command", sa.Text, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("command_counts")
    op.drop_table("blocked_chats")
    for index in ("ix_outgoing_created_at", "ix_outgoing_broadcast", "ix_outgoing_sending",
                  "ix_outgoing_queued"):
        op.drop_index(index, "outgoing_messages")
    op.drop_table("outgoing_messages")
    op.drop_table("broadcasts")
