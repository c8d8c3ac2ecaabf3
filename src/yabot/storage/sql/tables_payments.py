"""Payments context tables: VIP offers, Stars payments, the VIP channel, support requests."""

from __future__ import annotations

import sqlalchemy as sa

from yabot.storage.sql.metadata import metadata

_now = sa.text("CURRENT_TIMESTAMP")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

payment_offers = sa.Table(  # an invoice the bot issued: its payload is the offer id
    "payment_offers", metadata,
    sa.Column("offer_id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("plan_type", sa.Text, nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

payments = sa.Table(  # one row per Telegram charge: the primary key makes a grant once-only
    "payments", metadata,
    sa.Column("charge_id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("offer_id", sa.Text),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # paid | refunded
    sa.Column("is_recurring", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("plan_end", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("refunded_at", sa.DateTime(timezone=True)),
    sa.Column("notified_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("status IN ('paid', 'refunded')", name="ck_payments_status"),
    sa.Index("ix_payments_user", "user_id", "created_at"),
    sa.Index("ix_payments_created", "created_at"),
)

channel_members = sa.Table(  # who the bot has seen join (or leave) the VIP channel
    "channel_members", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("status", sa.Text, nullable=False),  # member | left
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

channel_removals = sa.Table(  # a removal to carry out once (claimed, then done)
    "channel_removals", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("removal_key", sa.Text, nullable=False, unique=True),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),  # expired | cancelled | refunded | reconcile
    sa.Column("status", sa.Text, nullable=False),  # pending | done | skipped
    sa.Column("claimed_by", sa.Text),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done_at", sa.DateTime(timezone=True)),
    sa.Index("ix_channel_removals_status", "status", "id"),
    sqlite_autoincrement=True,
)

support_requests = sa.Table(  # /paysupport messages for the operators
    "support_requests", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),  # open | closed
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_support_requests_created", "created_at"),
    sqlite_autoincrement=True,
)
