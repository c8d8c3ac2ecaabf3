"""Auctions with escrow (migration 0011): the auction rows and the bids that led them."""

from __future__ import annotations

import sqlalchemy as sa

from yabot.storage.sql.metadata import metadata

_now = sa.text("CURRENT_TIMESTAMP")
_TS = sa.DateTime(timezone=True)
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

auctions = sa.Table(  # one row per auction; the highest bid's amount is held in the ledger
    "auctions", metadata,
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
    sa.Index("ix_auctions_status_ends_at", "status", "ends_at"),
)

auction_bids = sa.Table(  # accepted bids (each was the highest when placed), one per key
    "auction_bids", metadata,
    sa.Column("id", _id, primary_key=True, autoincrement=True),
    sa.Column("auction_id", sa.Text, sa.ForeignKey("auctions.auction_id"), nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("idempotency_key", sa.Text, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.UniqueConstraint("auction_id", "user_id", "idempotency_key",
                        name="uq_auction_bids_key"),
    sa.Index("ix_auction_bids_auction", "auction_id", "id"),
    sqlite_autoincrement=True,
)

AUCTION_TABLES = (auctions, auction_bids)
