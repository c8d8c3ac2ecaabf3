"""Auction views: what the auction service returns to the API, the bot and the panel."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from yabot.domain.errors import ConflictError

AuctionStatus = Literal["open", "closed"]


class AuctionView(BaseModel):
    """The contract's auction shape, plus the minimum bid and when it was created/closed."""

    model_config = ConfigDict(frozen=True)
    auction_id: str
    item_id: str
    status: AuctionStatus
    min_bid: int
    ends_at: datetime
    highest_bid: int | None = None
    highest_bidder: str | None = None
    winner_user_id: str | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    bids: int = 0

    @property
    def next_min_bid(self) -> int:
        """The smallest amount that would lead now."""
        return self.min_bid if self.highest_bid is None else self.highest_bid + 1


class BidResult(BaseModel):
    """A placed bid: `applied` is False when its idempotency key was seen before."""

    model_config = ConfigDict(frozen=True)
    auction: AuctionView
    user_id: str
    amount: int
    applied: bool


class Bid(BaseModel):
    model_config = ConfigDict(frozen=True)
    bid_id: int
    user_id: str
    amount: int
    created_at: datetime


class BidRejectedError(ConflictError):
    """A bid that cannot lead (HTTP 409): `code` is auction_closed, bid_too_low or
    insufficient_funds."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        self.code, self.details = code, details
        super().__init__(message)
