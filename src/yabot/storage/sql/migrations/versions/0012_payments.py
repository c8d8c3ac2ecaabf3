"""Payments: VIP offers, Stars payments, VIP channel members and removals, support requests.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_offers",
        sa.Column("offer_id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("plan_type", sa.Text, nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("created_at", _ts, nullable=False),
        sa.Column("expires_at", _ts, nullable=False),
    )
    op.create_table(
        "payments",
        sa.Column("charge_id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("offer_id", sa.Text),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("is_recurring", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("plan_end", _ts),
        sa.Column("created_at", _ts, nullable=False),
        sa.Column("refunded_at", _ts),
        sa.Column("notified_at", _ts),
        sa.CheckConstraint("status IN ('paid', 'refunded')", name="ck_payments_status"),
    )
    op.create_index("ix_payments_user", "payments", ["user_id", "created_at"])
    op.create_index("ix_payments_created", "payments", ["created_at"])
    op.create_table(
        "channel_members",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("updated_at", _ts, nullable=False),
    )
    op.create_table(
        "channel_removals",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("removal_key", sa.Text, nullable=False, unique=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_until", _ts),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("error", sa.Text),
        sa.Column("created_at", _ts, nullable=False),
        sa.Column("done_at", _ts),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_channel_removals_status", "channel_removals", ["status", "id"])
    op.create_table(
        "support_requests",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("created_at", _ts, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_support_requests_created", "support_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_support_requests_created", "support_requests")
    op.drop_table("support_requests")
    op.drop_index("ix_channel_removals_status", "channel_removals")
    op.drop_table("channel_removals")
    op.drop_table("channel_members")
    op.drop_index("ix_payments_created", "payments")
    op.drop_index("ix_payments_user", "payments")
    op.drop_table("payments")
    op.drop_table("payment_offers")
