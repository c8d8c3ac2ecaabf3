"""Relational schema (SQLAlchemy Core). Migrations in `migrations/versions` create it."""

from __future__ import annotations

import sqlalchemy as sa

from yabot.storage.sql.metadata import metadata as metadata

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
    sa.Column("sent_at", sa.DateTime(timezone=True)),  # replay window (0008)
    sa.Index("ix_outbox_unsent", "id", sqlite_where=sa.text("sent = 0"),
             postgresql_where=sa.text("sent = false")),
    sa.Index("ix_outbox_sent_at", "sent_at"),
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
    sa.Index("ix_processed_events_processed_at", "processed_at"),
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

# besitos (migration 0003): the wallet balance moves with its ledger entry, in one transaction
wallets = sa.Table(
    "wallets", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("balance", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now),
    # 0011: besitos held by open bids; `balance` (spendable) + `held` = what the user owns
    sa.Column("held", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.CheckConstraint("balance >= 0", name="ck_wallets_balance_non_negative"),
)

besitos_ledger = sa.Table(
    "besitos_ledger", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),  # signed: > 0 award, < 0 spend
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
    sa.Column("balance_after", sa.BigInteger, nullable=False),
    sa.Column("correlation_id", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
    # 0011: change of `held` (a hold: amount -x, held_delta +x; a release: the reverse), so
    # amount + held_delta is what the entry created (> 0) or spent (< 0)
    sa.Column("held_delta", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.CheckConstraint("amount <> 0", name="ck_besitos_ledger_amount_non_zero"),
    sa.CheckConstraint("balance_after >= 0", name="ck_besitos_ledger_balance_non_negative"),
    sa.Index("ix_besitos_ledger_user_id", "user_id", "id"),
    sa.Index("ix_besitos_ledger_created_at", "created_at"),  # 0010: ranking, charts
    sqlite_autoincrement=True,
)

# --- services --- (migration 0004)
# saga state of writes that span both stores (create_user, delete_user): one open row per
# (kind, user); the row is deleted when the saga is finished or undone
workflows = sa.Table(
    "workflows", metadata,
    sa.Column("id", sa.Text, primary_key=True),  # "<kind>:<user_id>"
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # JSON: what the saga needs to finish
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now),
    sa.CheckConstraint("state IN ('started', 'compensating')", name="ck_workflows_state"),
)

# the scheduler: when each job last ran (survives restarts; a claim makes a run unique)
scheduled_jobs = sa.Table(
    "scheduled_jobs", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("last_run_at", sa.Float, nullable=False),  # epoch seconds of the last claim
    sa.Column("last_status", sa.Text, nullable=False),  # running | ok | failed
    sa.Column("last_error", sa.Text),
    sa.Column("runs", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("last_owner", sa.Text),
)

# notices already sent per plan period (subscription row): `subscription_expiring` once each
subscription_notices = sa.Table(
    "subscription_notices", metadata,
    sa.Column("subscription_id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
)

# --- ledger --- (migration 0005): per-user event order, coordinator workflows, hints
event_sequences = sa.Table(  # the per-user counter that numbers the causal chain
    "event_sequences", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("last_sequence", sa.BigInteger, nullable=False),
)

ordering_cursors = sa.Table(  # next sequence a consumer group expects from a user
    "ordering_cursors", metadata,
    sa.Column("consumer_group", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("next_sequence", sa.BigInteger, nullable=False),
)

ordering_buffer = sa.Table(  # events that arrived ahead of their turn
    "ordering_buffer", metadata,
    sa.Column("consumer_group", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("sequence", sa.BigInteger, primary_key=True),
    sa.Column("event_data", sa.Text, nullable=False),
    sa.Column("buffered_at", sa.Float, nullable=False),  # epoch seconds
)

ordering_gaps = sa.Table(  # audit: sequences that never came (or came late)
    "ordering_gaps", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("consumer_group", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # "gap" | "late"
    sa.Column("first_missing", sa.BigInteger, nullable=False),
    sa.Column("last_missing", sa.BigInteger, nullable=False),
    sa.Column("event_id", sa.Text),
    sa.Column("detected_at", sa.DateTime(timezone=True), server_default=_now),
    sqlite_autoincrement=True,
)

reaction_rewards = sa.Table(  # one reward per (user, chat:message), whatever the emoji
    "reaction_rewards", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("content_id", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
    sa.Index("ix_reaction_rewards_user_created", "user_id", "created_at"),  # 0010: daily cap
)

narrative_hints = sa.Table(  # from content packs: unlocked at a besitos balance
    "narrative_hints", metadata,
    sa.Column("hint_id", sa.Text, primary_key=True),
    sa.Column("fragment_id", sa.Text, nullable=False),
    sa.Column("threshold", sa.BigInteger, nullable=False),
    sa.Column("text", sa.Text),
    sa.CheckConstraint("threshold > 0", name="ck_narrative_hints_threshold_positive"),
)

hint_unlocks = sa.Table(  # once per (user, hint)
    "hint_unlocks", metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("hint_id", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("unlocked_at", sa.DateTime(timezone=True), server_default=_now),
)

processed_updates = sa.Table(  # Telegram update inbox: the primary key de-duplicates (0007)
    "processed_updates", metadata,
    sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("payload", sa.Text, nullable=False),  # the raw update JSON
    sa.Column("status", sa.Text, nullable=False, server_default="pending"),  # pending|done|failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("received_at", sa.DateTime(timezone=True), server_default=_now),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("status IN ('pending', 'done', 'failed')",
                       name="ck_processed_updates_status"),
    sa.Index("ix_processed_updates_status", "status", "update_id"),
)

admin_accounts = sa.Table(  # admin panel operators (0009); argon2 hashes only
    "admin_accounts", metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
)

admin_sessions = sa.Table(  # id = sha256 of the cookie's random token
    "admin_sessions", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("username", sa.Text,
              sa.ForeignKey("admin_accounts.username", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_admin_sessions_expires_at", "expires_at"),
)

admin_audit = sa.Table(  # who did what, when, to whom (operator actions)
    "admin_audit", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_admin_audit_target", "target", "id"),
    sqlite_autoincrement=True,
)

# every context's tables join this metadata (migrations and drift checks see them all)
from yabot.storage.sql import tables_auctions as _auctions  # noqa: E402,F401
from yabot.storage.sql import tables_economy as _economy  # noqa: E402,F401
from yabot.storage.sql import tables_messaging as _messaging  # noqa: E402,F401
from yabot.storage.sql import tables_payments as _payments  # noqa: E402,F401
