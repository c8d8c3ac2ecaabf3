"""Messaging tables (migration 0013): the outgoing queue, blocked chats, broadcasts and the
per-user command counts written with each update's commit."""

from __future__ import annotations

import sqlalchemy as sa

from yabot.storage.sql.metadata import metadata

_now = sa.text("CURRENT_TIMESTAMP")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

broadcasts = sa.Table(
    "broadcasts", metadata,
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

# one row per message to send; replies/notices: at least once (lease), broadcasts: at most
# once (status 'sending' is committed before the send)
outgoing_messages = sa.Table(
    "outgoing_messages", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("method", sa.Text, nullable=False),  # Bot API method, e.g. sendMessage
    sa.Column("params", sa.Text, nullable=False),  # its JSON parameters
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
    sa.Index("ix_outgoing_queued", "priority", "id", sqlite_where=sa.text("status = 'queued'"),
             postgresql_where=sa.text("status = 'queued'")),
    sa.Index("ix_outgoing_sending", "claim_until", sqlite_where=sa.text("status = 'sending'"),
             postgresql_where=sa.text("status = 'sending'")),
    sa.Index("ix_outgoing_broadcast", "broadcast_id", "status"),
    sa.Index("ix_outgoing_created_at", "created_at"),
    sqlite_autoincrement=True,
)

blocked_chats = sa.Table(  # users who blocked the bot (403) until they write again
    "blocked_chats", metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
)

command_counts = sa.Table(  # activity bookkeeping, written with the update's done mark
    "command_counts", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("command", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
)
