"""AuctionService: auctions with escrow on the ledger.

A bid that leads holds its amount (`HoldService`) and releases the previous leader's hold in
the same transaction as the auction row, which the bid locks (PostgreSQL `FOR UPDATE`;
SQLite writes begin IMMEDIATE). Closing is a conditional `open -> closed` update, so however
many processes try, one transaction spends the winner's hold, gives them the item and
publishes `auction_won` / `auction_lost` / `auction_closed` in its commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from yabot.domain.auctions import AuctionStatus, AuctionView, Bid, BidRejectedError, BidResult
from yabot.domain.clock import as_utc, utcnow
from yabot.domain.errors import ConflictError, InsufficientFundsError, NotFoundError
from yabot.domain.events import (
    AuctionClosed,
    AuctionClosedPayload,
    AuctionLost,
    AuctionLostPayload,
    AuctionOutbid,
    AuctionOutbidPayload,
    AuctionWon,
    AuctionWonPayload,
)
from yabot.domain.models import Item
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.logs import get_logger
from yabot.services.wallet.holds import HoldService

log = get_logger(__name__)
T = TypeVar("T")


class AuctionStore(Protocol):
    """Auction rows and bids (implemented by `storage/sql/repositories/auctions.py`)."""

    races: tuple[type[BaseException], ...]

    async def create(self, tx: Publisher, auction_id: str, item_id: str, min_bid: int,
                     ends_at: datetime, created_by: str | None) -> AuctionView: ...
    async def get(self, auction_id: str, *, tx: Publisher | None = None,
                  lock: bool = False) -> AuctionView | None: ...
    async def listing(self, *, status: AuctionStatus | None = None,
                      limit: int = 50) -> list[AuctionView]: ...
    async def bid_by_key(self, tx: Publisher, auction_id: str, user_id: str,
                         key: str) -> Bid | None: ...
    async def add_bid(self, tx: Publisher, auction_id: str, user_id: str, amount: int,
                      key: str) -> int: ...
    async def claim_close(self, tx: Publisher, auction_id: str) -> AuctionView | None: ...
    async def grant_item(self, tx: Publisher, user_id: str, item_id: str) -> int: ...
    async def clear_winner(self, tx: Publisher, auction_id: str) -> None: ...
    async def due(self, now: datetime, limit: int) -> list[str]: ...
    async def best_bids(self, tx: Publisher, auction_id: str) -> dict[str, int]: ...
    async def bids(self, auction_id: str, *, limit: int = 50) -> list[Bid]: ...


class ItemCatalog(Protocol):
    async def get(self, item_id: str) -> Item | None: ...


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


class AuctionService:
    def __init__(self, *, store: AuctionStore, holds: HoldService, items: ItemCatalog,
                 bus: EventBus) -> None:
        self.store, self.holds, self.items, self.bus = store, holds, items, bus

    async def open(self, item_id: str, min_bid: int, ends_at: datetime, *,
                   created_by: str | None = None) -> AuctionView:
        """A new open auction; NotFoundError("item"); ValueError for a past `ends_at`."""
        _positive("min_bid", min_bid)
        ends_at = as_utc(ends_at)
        if ends_at <= utcnow():
            raise ValueError("ends_at must be in the future")
        if await self.items.get(item_id) is None:
            raise NotFoundError("item", item_id)
        async with self.bus.transaction() as tx:
            return await self.store.create(tx, uuid.uuid4().hex[:16], item_id, min_bid,
                                           ends_at, created_by)

    async def get(self, auction_id: str) -> AuctionView:
        auction = await self.store.get(auction_id)
        if auction is None:
            raise NotFoundError("auction", auction_id)
        return auction

    async def listing(self, *, status: AuctionStatus | None = None,
                      limit: int = 50) -> list[AuctionView]:
        return await self.store.listing(status=status, limit=limit)

    async def item_name(self, item_id: str) -> str:
        """The item's display name (its id when the item is gone from the catalogue)."""
        item = await self.items.get(item_id)
        return item_id if item is None else item.name

    async def bids(self, auction_id: str, *, limit: int = 50) -> list[Bid]:
        await self.get(auction_id)
        return await self.store.bids(auction_id, limit=limit)

    async def bid(self, auction_id: str, user_id: str, amount: int,
                  idempotency_key: str) -> BidResult:
        """Lead the auction with `amount` (held). BidRejectedError when it cannot lead;
        the same key again returns the first result with `applied` False."""
        _positive("amount", amount)
        return await self._run(lambda tx: self._bid(tx, auction_id, user_id, amount,
                                                    idempotency_key))

    async def close(self, auction_id: str) -> AuctionView | None:
        """Close now (whatever `ends_at` says); None when it was closed already."""
        async with self.bus.transaction() as tx:
            auction = await self.store.claim_close(tx, auction_id)
            if auction is None:
                if await self.store.get(auction_id, tx=tx) is None:
                    raise NotFoundError("auction", auction_id)
                return None
            await self._settle(tx, auction)
            auction = await self.store.get(auction_id, tx=tx)
            assert auction is not None
        log.info("auction closed", auction_id=auction_id, winner=auction.winner_user_id,
                 amount=auction.highest_bid)
        return auction

    async def close_due(self, *, limit: int = 100) -> int:
        """The scheduler's job: close every open auction whose `ends_at` has passed."""
        closed = 0
        for auction_id in await self.store.due(utcnow(), limit):
            try:
                if await self.close(auction_id) is not None:
                    closed += 1
            except Exception as exc:  # the others still close; this one is retried
                log.error("auction close failed", auction_id=auction_id,
                          error=f"{type(exc).__name__}: {exc}")
        return closed

    # --- internals -------------------------------------------------------------------
    async def _run(self, fn: Callable[[Publisher], Awaitable[T]]) -> T:
        try:
            async with self.bus.transaction() as tx:
                return await fn(tx)
        except self.store.races:
            # a concurrent bid used the same key first (PostgreSQL): now it is a replay
            async with self.bus.transaction() as tx:
                return await fn(tx)

    async def _bid(self, tx: Publisher, auction_id: str, user_id: str, amount: int,
                   key: str) -> BidResult:
        auction = await self.store.get(auction_id, tx=tx, lock=True)
        if auction is None:
            raise NotFoundError("auction", auction_id)
        seen = await self.store.bid_by_key(tx, auction_id, user_id, key)
        if seen is not None:
            if seen.amount != amount:
                raise ConflictError(f"idempotency key {key!r} was already used for a bid "
                                    f"of {seen.amount} besitos")
            return BidResult(auction=auction, user_id=user_id, amount=amount, applied=False)
        await self.holds.require_user(tx, user_id)
        self._check_can_lead(auction, amount)
        leader, led = auction.highest_bidder, auction.highest_bid or 0
        # a deleted leader's wallet (their hold with it) is gone: nothing to release
        beaten = (leader if leader is not None and leader != user_id
                  and await self.holds.user_exists(tx, leader) else None)
        await self.holds.lock(tx, [user_id] if beaten is None else [user_id, beaten])
        bid_id = await self.store.add_bid(tx, auction_id, user_id, amount, key)
        prefix = f"auction:{auction_id}:bid:{bid_id}"
        try:
            await self.holds.hold(tx, user_id, amount - led if leader == user_id else amount,
                                  f"auction:hold:{auction_id}", f"{prefix}:hold")
        except InsufficientFundsError as exc:
            raise BidRejectedError("insufficient_funds", f"user {user_id!r} cannot cover a "
                                   f"bid of {amount}", balance=exc.balance,
                                   amount=amount) from exc
        if beaten is not None:
            await self.holds.release(tx, beaten, led, f"auction:release:{auction_id}",
                                     f"{prefix}:release")
            await tx.publish(AuctionOutbid(user_id=beaten, payload=AuctionOutbidPayload(
                auction_id=auction_id, item_id=auction.item_id, own_bid=led,
                highest_bid=amount)))
        updated = await self.store.get(auction_id, tx=tx)
        assert updated is not None
        return BidResult(auction=updated, user_id=user_id, amount=amount, applied=True)

    @staticmethod
    def _check_can_lead(auction: AuctionView, amount: int) -> None:
        if auction.status != "open" or auction.ends_at <= utcnow():
            raise BidRejectedError("auction_closed", f"auction {auction.auction_id!r} is "
                                   "closed", auction_id=auction.auction_id)
        if amount < auction.next_min_bid:
            raise BidRejectedError(
                "bid_too_low", f"a bid must be at least {auction.next_min_bid} besitos",
                min_bid=auction.min_bid, highest_bid=auction.highest_bid, amount=amount)

    async def _settle(self, tx: Publisher, auction: AuctionView) -> None:
        winner, amount, aid = auction.winner_user_id, auction.highest_bid, auction.auction_id
        if winner is not None and not await self.holds.user_exists(tx, winner):
            await self.store.clear_winner(tx, aid)  # deleted, their hold with them
            winner = None
        if winner is not None and amount is not None:
            await self.holds.lock(tx, [winner])
            won = AuctionWon(user_id=winner, payload=AuctionWonPayload(
                auction_id=aid, item_id=auction.item_id, amount=amount))
            await self.holds.capture(tx, winner, amount, f"auction:{aid}",
                                     f"auction:{aid}:won", cause=won)
            await self.store.grant_item(tx, winner, auction.item_id)
            best = {user: bid for user, bid in (await self.store.best_bids(tx, aid)).items()
                    if user == winner or await self.holds.user_exists(tx, user)}
            await tx.publish(won, *self._losers(auction, best))
        await tx.publish(AuctionClosed(payload=AuctionClosedPayload(
            auction_id=aid, item_id=auction.item_id, winner_user_id=winner, amount=amount)))

    @staticmethod
    def _losers(auction: AuctionView, best: dict[str, int]) -> Sequence[AuctionLost]:
        assert auction.highest_bid is not None
        return [AuctionLost(user_id=user, payload=AuctionLostPayload(
                    auction_id=auction.auction_id, item_id=auction.item_id,
                    winning_bid=auction.highest_bid, own_bid=own))
                for user, own in sorted(best.items()) if user != auction.winner_user_id]
