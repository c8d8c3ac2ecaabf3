"""Auction events: a bidder outbid, the winner and the losers told at the close."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from yabot.domain.events.base import BaseEvent, Payload


class AuctionWonPayload(Payload):
    auction_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    amount: int = Field(gt=0)  # besitos spent from the winner's hold


class AuctionWon(BaseEvent):
    event_type: Literal["auction_won"] = "auction_won"
    payload: AuctionWonPayload


class AuctionLostPayload(Payload):
    auction_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    winning_bid: int = Field(gt=0)
    own_bid: int = Field(gt=0)  # this user's highest bid (its hold was released)


class AuctionLost(BaseEvent):
    event_type: Literal["auction_lost"] = "auction_lost"
    payload: AuctionLostPayload


class AuctionOutbidPayload(Payload):
    auction_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    own_bid: int = Field(gt=0)  # released back to this user's balance
    highest_bid: int = Field(gt=0)


class AuctionOutbid(BaseEvent):
    event_type: Literal["auction_outbid"] = "auction_outbid"
    payload: AuctionOutbidPayload


class AuctionClosedPayload(Payload):
    auction_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    winner_user_id: str | None = None
    amount: int | None = None


class AuctionClosed(BaseEvent):
    requires_user: ClassVar[bool] = False
    event_type: Literal["auction_closed"] = "auction_closed"
    payload: AuctionClosedPayload


AUCTION_EVENTS: tuple[type[BaseEvent], ...] = (AuctionWon, AuctionLost, AuctionOutbid,
                                               AuctionClosed)
