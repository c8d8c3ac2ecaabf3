"""Event bus tables: outbox, event_log, processed_events, dead_letters, leases;
user_profiles.last_activity for the activity subscriber.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("partition_key", sa.Text),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("sent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "event_log",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text),
        sa.Column("correlation_id", sa.Text),
        sa.Column("event_data", sa.Text, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_event_log_timestamp", "event_log", ["timestamp"])
    op.create_index("ix_event_log_user_id", "event_log", ["user_id"])
    op.create_table(
        "processed_events",
        sa.Column("consumer_group", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=_now),
    )
    op.create_table(
        "dead_letters",
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
    op.create_table(
        "leases",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    with op.batch_alter_table("user_profiles") as batch:
        batch.add_column(sa.Column("last_activity", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("user_profiles") as batch:
        batch.drop_column("last_activity")
    for table in ("leases", "dead_letters", "processed_events", "event_log", "outbox"):
        op.drop_table(table)
