"""The economy: inventory, item operations, content sections, achievements, missions,
trivia, daily gifts, story milestones, fragment unlocks; indexes for caps and ranking.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inventory",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("item_id", sa.Text, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("updated_at", _TS, server_default=_now),
        sa.CheckConstraint("quantity >= 0", name="ck_inventory_quantity_non_negative"),
    )
    op.create_table(
        "item_operations",
        sa.Column("idempotency_key", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("item_id", sa.Text, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("created_at", _TS, server_default=_now),
    )
    op.create_table(
        "content_sections",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("entry_id", sa.Text, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", _TS, server_default=_now),
    )
    op.create_table(
        "fragment_unlocks",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("fragment_id", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("unlocked_at", _TS, server_default=_now),
    )
    op.create_table(
        "event_counters",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "achievement_unlocks",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("achievement_id", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("unlocked_at", _TS, nullable=False),
    )
    op.create_table(
        "user_missions",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("day", sa.Text, primary_key=True),
        sa.Column("mission_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("target", sa.Integer, nullable=False),
        sa.Column("progress", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("reward", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("completed_at", _TS),
        sa.CheckConstraint("status IN ('active', 'completed', 'expired')",
                           name="ck_user_missions_status"),
    )
    op.create_index("ix_user_missions_status_expires", "user_missions",
                    ["status", "expires_at"])
    op.create_table(
        "trivia_answers",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("question_id", sa.Text, primary_key=True),
        sa.Column("option", sa.Integer, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("answered_at", _TS, nullable=False),
    )
    op.create_table(
        "daily_gifts",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("day", sa.Text, primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("streak", sa.Integer, nullable=False),
        sa.Column("recovered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("claimed_at", _TS, nullable=False),
    )
    op.create_table(
        "story_milestones",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("created_at", _TS, server_default=_now),
    )
    # the daily reaction cap counts a user's rewards since the start of their day;
    # ranking and the economy charts sum ledger entries by time
    op.create_index("ix_reaction_rewards_user_created", "reaction_rewards",
                    ["user_id", "created_at"])
    op.create_index("ix_besitos_ledger_created_at", "besitos_ledger", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_besitos_ledger_created_at", "besitos_ledger")
    op.drop_index("ix_reaction_rewards_user_created", "reaction_rewards")
    for name in ("story_milestones", "daily_gifts", "trivia_answers"):
        op.drop_table(name)
    op.drop_index("ix_user_missions_status_expires", "user_missions")
    for name in ("user_missions", "achievement_unlocks", "event_counters", "fragment_unlocks",
                 "content_sections", "item_operations", "inventory"):
        op.drop_table(name)
