"""user_profiles and subscriptions, as the seed design gives them.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "user_profiles",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("telegram_user_id", sa.BigInteger, unique=True, nullable=False),
        sa.Column("username", sa.Text),
        sa.Column("first_name", sa.Text),
        sa.Column("last_name", sa.Text),
        sa.Column("language_code", sa.Text),
        sa.Column("registration_date", sa.DateTime(timezone=True), server_default=_now),
        sa.Column("last_login", sa.DateTime(timezone=True)),
        sa.Column("is_active", sa.Boolean, server_default=sa.true()),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Text, sa.ForeignKey("user_profiles.user_id"), nullable=False),
        sa.Column("plan_type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now),
        sa.CheckConstraint("plan_type IN ('free', 'premium', 'vip')",
                           name="ck_subscriptions_plan_type"),
        sa.CheckConstraint("status IN ('active', 'inactive', 'cancelled', 'expired')",
                           name="ck_subscriptions_status"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_user_id", "subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("user_profiles")
