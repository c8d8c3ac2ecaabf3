"""Relational schema (SQLAlchemy Core). Migrations in `migrations/versions` create it."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

_now = sa.text("CURRENT_TIMESTAMP")

# seed design: user_profiles and subscriptions, columns and CHECKs as given
user_profiles = sa.Table(
    "user_profiles", metadata,
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

subscriptions = sa.Table(
    "subscriptions", metadata,
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
sa.Index("ix_subscriptions_user_id", subscriptions.c.user_id)
