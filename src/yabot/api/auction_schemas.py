"""Request and response bodies of `/api/v1/auctions`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from yabot.api.schemas import KEY_PATTERN, MAX_AMOUNT, Out
from yabot.domain.auctions import AuctionStatus, AuctionView, BidResult

ITEM_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
MAX_DURATION = timedelta(days=90)


def _future_utc(value: datetime) -> datetime:
    utc = value.astimezone(UTC)
    now = datetime.now(UTC)
    if utc <= now:
        raise ValueError("must be in the future")
    if utc > now + MAX_DURATION:
        raise ValueError("must be within 90 days")
    return utc


class AuctionCreate(BaseModel):
    """Open an auction for an item until `ends_at`; bids start at `min_bid`."""

    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(pattern=ITEM_ID_PATTERN, examples=["besito_001"])
    min_bid: int = Field(strict=True, gt=0, le=MAX_AMOUNT, examples=[5])
    ends_at: Annotated[AwareDatetime, AfterValidator(_future_utc)] = Field(
        description="UTC or with an offset; in the future, within 90 days")


class AuctionOut(Out):
    auction_id: str
    item_id: str
    status: AuctionStatus
    ends_at: datetime
    highest_bid: int | None
    highest_bidder: str | None
    winner_user_id: str | None
    min_bid: int
    bids: int = Field(description="accepted bids so far")

    @classmethod
    def of(cls, view: AuctionView) -> AuctionOut:
        return cls.model_validate(view, from_attributes=True)


class AuctionList(Out):
    auctions: list[AuctionOut]


class BidCreate(BaseModel):
    """A bid must be above the highest bid (at least `min_bid` for the first one)."""

    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(pattern=r"^[0-9]{1,20}$", examples=["123456789"])
    amount: int = Field(strict=True, gt=0, le=MAX_AMOUNT, examples=[12])
    idempotency_key: str = Field(pattern=KEY_PATTERN, examples=["bid-7f3a"])


class BidOut(Out):
    auction_id: str
    user_id: str
    amount: int
    applied: bool = Field(description="false when the idempotency key was seen before")
    auction: AuctionOut

    @classmethod
    def of(cls, result: BidResult) -> BidOut:
        return cls(auction_id=result.auction.auction_id, user_id=result.user_id,
                   amount=result.amount, applied=result.applied,
                   auction=AuctionOut.of(result.auction))
