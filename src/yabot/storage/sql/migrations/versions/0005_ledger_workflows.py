"""Coordinator workflows: per-user event sequences, ordering buffer and gap audit,
reaction rewards, narrative hints and their unlocks.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_sequences",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("last_sequence", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "ordering_cursors",
        sa.Column("consumer_group", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("next_sequence", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "ordering_buffer",
        sa.Column("consumer_group", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("sequence", sa.BigInteger, primary_key=True),
        sa.Column("event_data", sa.Text, nullable=False),
        sa.Column("buffered_at", sa.Float, nullable=False),
    )
    op.create_table(
        "ordering_gaps",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("consumer_group", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("first_missing", sa.BigInteger, nullable=False),
        sa.Column("last_missing", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.Text),
        sa.Column("detected_at", sa.DateTime(timezone=True), server_default=_now),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "reaction_rewards",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("content_id", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
    )
    op.create_table(
        "narrative_hints",
        sa.Column("hint_id", sa.Text, primary_key=True),
        sa.Column("fragment_id", sa.Text, nullable=False),
        sa.Column("threshold", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text),
        sa.CheckConstraint("threshold > 0", name="ck_narrative_hints_threshold_positive"),
    )
    op.create_table(
        "hint_unlocks",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("hint_id", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), server_default=_now),
    )


def downgrade() -> None:
    for table in ("hint_unlocks", "narrative_hints", "reaction_rewards", "ordering_gaps",
                  "ordering_buffer", "ordering_cursors", "event_sequences"):
        op.drop_table(table)
