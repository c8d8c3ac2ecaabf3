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
    sa.Column("last_activity", sa.DateTime(timezone=True)),  # added by 0002
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

# event bus (migration 0002)
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Text, nullable=False, unique=True),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("sent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
    sqlite_autoincrement=True,
)

event_log = sa.Table(
    "event_log", metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text),
    sa.Column("correlation_id", sa.Text),
    sa.Column("event_data", sa.Text, nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_event_log_timestamp", "timestamp"),
    sa.Index("ix_event_log_user_id", "user_id"),
)

processed_events = sa.Table(
    "processed_events", metadata,
    sa.Column("consumer_group", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("processed_at", sa.DateTime(timezone=True), server_default=_now),
)

dead_letters = sa.Table(
    "dead_letters", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("consumer_group", sa.Text, nullable=False),
    sa.Column("event_data", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
    sa.Column("replayed_at", sa.DateTime(timezone=True)),
    sqlite_autoincrement=True,
)

leases = sa.Table(
    "leases", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
