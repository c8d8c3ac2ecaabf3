"""Auctions with escrow: `auctions`, `auction_bids`, and ledger holds (`wallets.held`,
`besitos_ledger.held_delta`), so a wallet's `balance` + `held` is what its user owns.

Revision ID: 0011
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0013"
branch_labels = None
depends_on = None

_now = sa.text("CURRENT_TIMESTAMP")
_TS = sa.DateTime(timezone=True)
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("wallets", sa.Column("held", sa.BigInteger, nullable=False,
                                       server_default=sa.text("0")))
    op.add_column("besitos_ledger", sa.Column("held_delta", sa.BigInteger, nullable=False,
                                              server_default=sa.text("0")))
    op.create_table(
        "auctions",
        sa.Column("auction_id", sa.Text, primary_key=True),
        sa.Column("item_id", sa.Text, nullable=False),
        sa.Column("min_bid", sa.BigInteger, nullable=False),
        sa.Column("ends_at", _TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("highest_bid", sa.BigInteger),
        sa.Column("highest_bidder", sa.Text),
        sa.Column("winner_user_id", sa.Text),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", _TS, server_default=_now),
        sa.Column("closed_at", _TS),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_auctions_status"),
        sa.CheckConstraint("min_bid > 0", name="ck_auctions_min_bid_positive"),
    )
    op.create_index("ix_auctions_status_ends_at", "auctions", ["status", "ends_at"])
    op.create_table(
        "auction_bids",
        sa.Column("id", _id, primary_key=True, autoincrement=True),
        sa.Column("auction_id", sa.Text, sa.ForeignKey("auctions.auction_id"),
                  nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("auction_id", "user_id", "idempotency_key",
                            name="uq_auction_bids_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_auction_bids_auction", "auction_bids", ["auction_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_auction_bids_auction", "auction_bids")
    op.drop_table("auction_bids")
    op.drop_index("ix_auctions_status_ends_at", "auctions")
    op.drop_table("auctions")
    with op.batch_alter_table("besitos_ledger") as batch:
        batch.drop_column("held_delta")
    with op.batch_alter_table("wallets") as batch:
        batch.drop_column("held")
