"""Besitos: wallets (non-negative balance) and the append-only ledger (unique idempotency key).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("balance", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now),
        sa.CheckConstraint("balance >= 0", name="ck_wallets_balance_non_negative"),
    )
    op.create_table(
        "besitos_ledger",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
        sa.Column("balance_after", sa.BigInteger, nullable=False),
        sa.Column("correlation_id", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now),
        sa.CheckConstraint("amount <> 0", name="ck_besitos_ledger_amount_non_zero"),
        sa.CheckConstraint("balance_after >= 0", name="ck_besitos_ledger_balance_non_negative"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_besitos_ledger_user_id", "besitos_ledger", ["user_id", "id"])


def downgrade() -> None:
    op.drop_table("besitos_ledger")
    op.drop_table("wallets")
