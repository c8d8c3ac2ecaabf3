"""The economy's relational schema (migration 0010): inventory, content rules, progress."""

from __future__ import annotations

import sqlalchemy as sa

from yabot.storage.sql.metadata import metadata

_now = sa.text("CURRENT_TIMESTAMP")
_TS = sa.DateTime(timezone=True)

inventory = sa.Table(  # what each user owns; a row per (user, item)
    "inventory", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("item_id", sa.Text, primary_key=True),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("updated_at", _TS, server_default=_now),
    sa.CheckConstraint("quantity >= 0", name="ck_inventory_quantity_non_negative"),
)

item_operations = sa.Table(  # purchases and uses by idempotency key: a key acts once
    "item_operations", metadata,
    sa.Column("idempotency_key", sa.Text, primary_key=True),  # "<kind>:<user>:<client key>"
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # purchase | use
    sa.Column("item_id", sa.Text, nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("created_at", _TS, server_default=_now),
)

content_sections = sa.Table(  # pack sections besides fragments/items/hints (JSON per entry)
    "content_sections", metadata,
    sa.Column("kind", sa.Text, primary_key=True),  # achievement | mission | trivia | level
    sa.Column("entry_id", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", _TS, server_default=_now),
)

fragment_unlocks = sa.Table(  # fragments an item opened to one user (past the VIP gate)
    "fragment_unlocks", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("fragment_id", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("unlocked_at", _TS, server_default=_now),
)

event_counters = sa.Table(  # events seen per user and type (achievement rules count them)
    "event_counters", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("event_type", sa.Text, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)

achievement_unlocks = sa.Table(  # once per (user, achievement)
    "achievement_unlocks", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("achievement_id", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("unlocked_at", _TS, nullable=False),
)

user_missions = sa.Table(  # a user's missions of one local day
    "user_missions", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("day", sa.Text, primary_key=True),  # YYYY-MM-DD in the user's timezone
    sa.Column("mission_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("target", sa.Integer, nullable=False),
    sa.Column("progress", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("reward", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # active | completed | expired
    sa.Column("expires_at", _TS, nullable=False),
    sa.Column("completed_at", _TS),
    sa.CheckConstraint("status IN ('active', 'completed', 'expired')",
                       name="ck_user_missions_status"),
    sa.Index("ix_user_missions_status_expires", "status", "expires_at"),
)

trivia_answers = sa.Table(  # the first answer counts: one row per (user, question)
    "trivia_answers", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("question_id", sa.Text, primary_key=True),
    sa.Column("option", sa.Integer, nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("answered_at", _TS, nullable=False),
)

daily_gifts = sa.Table(  # one gift per (user, local day)
    "daily_gifts", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("day", sa.Text, primary_key=True),  # YYYY-MM-DD in the user's timezone
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("streak", sa.Integer, nullable=False),
    sa.Column("recovered", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("claimed_at", _TS, nullable=False),
)

story_milestones = sa.Table(  # once-only story facts: level completed, secret discovered
    "story_milestones", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),  # level | secret
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("created_at", _TS, server_default=_now),
)

ECONOMY_TABLES = (inventory, item_operations, content_sections, fragment_unlocks,
                  event_counters, achievement_unlocks, user_missions, trivia_answers,
                  daily_gifts, story_milestones)
