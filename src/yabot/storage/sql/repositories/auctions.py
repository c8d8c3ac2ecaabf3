"""The auctions' SQL: auction rows (locked per bid), accepted bids, the closing claim."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.auctions import AuctionStatus, AuctionView, Bid
from yabot.domain.clock import as_utc, utcnow
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables_auctions import auction_bids, auctions
from yabot.storage.sql.tables_economy import inventory

_A, _B = auctions.c, auction_bids.c
_BIDS = (sa.select(sa.func.count()).where(_B.auction_id == _A.auction_id)
         .scalar_subquery().label("bids"))


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


def _view(row: Any) -> AuctionView:
    m = row._mapping
    return AuctionView(
        auction_id=m["auction_id"], item_id=m["item_id"], status=m["status"],
        min_bid=m["min_bid"], ends_at=_when(m["ends_at"]), highest_bid=m["highest_bid"],
        highest_bidder=m["highest_bidder"], winner_user_id=m["winner_user_id"],
        created_at=_when(m["created_at"]), closed_at=_when(m["closed_at"]),
        bids=m["bids"])


async def _get(conn: AsyncConnection, auction_id: str, *, lock: bool = False,
               ) -> AuctionView | None:
    query = sa.select(auctions, _BIDS).where(_A.auction_id == auction_id)
    if lock and conn.dialect.name != "sqlite":  # SQLite: the write began IMMEDIATE
        query = query.with_for_update(of=auctions)
    row = (await conn.execute(query)).first()
    return None if row is None else _view(row)


class AuctionRepository:
    """Implements `services.economy.auctions.AuctionStore`."""

    # a concurrent bid used the same idempotency key first (PostgreSQL): replay once
    races: tuple[type[BaseException], ...] = (IntegrityError,)

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, tx: Transaction, auction_id: str, item_id: str, min_bid: int,
                     ends_at: datetime, created_by: str | None) -> AuctionView:
        await tx.conn.execute(auctions.insert().values(
            auction_id=auction_id, item_id=item_id, min_bid=min_bid, ends_at=ends_at,
            status="open", created_by=created_by, created_at=utcnow()))
        view = await _get(tx.conn, auction_id)
        assert view is not None
        return view

    async def get(self, auction_id: str, *, tx: Transaction | None = None,
                  lock: bool = False) -> AuctionView | None:
        """One auction; with `lock` (in `tx`), held until the commit on PostgreSQL."""
        if tx is not None:
            return await _get(tx.conn, auction_id, lock=lock)
        async with self.db.read() as conn:
            return await _get(conn, auction_id)

    async def listing(self, *, status: AuctionStatus | None = None,
                      limit: int = 50) -> list[AuctionView]:
        """Open ones soonest-ending first; otherwise newest first."""
        query = sa.select(auctions, _BIDS).limit(limit)
        if status is not None:
            query = query.where(_A.status == status)
        query = query.order_by(_A.ends_at if status == "open" else _A.created_at.desc())
        async with self.db.read() as conn:
            return [_view(r) for r in await conn.execute(query)]

    async def bid_by_key(self, tx: Transaction, auction_id: str, user_id: str,
                         key: str) -> Bid | None:
        row = (await tx.conn.execute(sa.select(auction_bids).where(
            _B.auction_id == auction_id, _B.user_id == user_id,
            _B.idempotency_key == key))).first()
        return None if row is None else Bid(bid_id=row.id, user_id=row.user_id,
                                            amount=row.amount,
                                            created_at=_when(row.created_at))

    async def add_bid(self, tx: Transaction, auction_id: str, user_id: str, amount: int,
                      key: str) -> int:
        """Record an accepted bid and make it the auction's highest; returns its id."""
        conn = tx.conn
        bid_id = (await conn.execute(auction_bids.insert().values(
            auction_id=auction_id, user_id=user_id, amount=amount, idempotency_key=key,
            created_at=utcnow()).returning(_B.id))).scalar_one()
        await conn.execute(auctions.update().where(_A.auction_id == auction_id)
                           .values(highest_bid=amount, highest_bidder=user_id))
        return int(bid_id)

    async def claim_close(self, tx: Transaction, auction_id: str) -> AuctionView | None:
        """Mark an open auction closed (its highest bidder the winner); None when it was
        closed already, so one closing transaction wins however many processes try."""
        claimed = (await tx.conn.execute(
            auctions.update().where(_A.auction_id == auction_id, _A.status == "open")
            .values(status="closed", closed_at=utcnow(), winner_user_id=_A.highest_bidder)
            .returning(_A.auction_id))).first()
        return None if claimed is None else await _get(tx.conn, auction_id)

    async def clear_winner(self, tx: Transaction, auction_id: str) -> None:
        """A closed auction whose leader was deleted: no winner."""
        await tx.conn.execute(auctions.update().where(_A.auction_id == auction_id)
                              .values(winner_user_id=None))

    async def grant_item(self, tx: Transaction, user_id: str, item_id: str) -> int:
        """One more of `item_id` in the user's inventory; returns the new quantity."""
        conn, inv = tx.conn, inventory.c
        stmt = insert_for(conn, inventory).values(user_id=user_id, item_id=item_id,
                                                  quantity=1, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=[inv.user_id, inv.item_id],
            set_={"quantity": inv.quantity + 1, "updated_at": utcnow()})
        return int((await conn.execute(stmt.returning(inv.quantity))).scalar_one())

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Open auctions whose end has passed, earliest first."""
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(_A.auction_id)
                                      .where(_A.status == "open", _A.ends_at <= now)
                                      .order_by(_A.ends_at).limit(limit))
            return list(rows.scalars())

    async def best_bids(self, tx: Transaction, auction_id: str) -> dict[str, int]:
        """Each bidder's highest accepted bid."""
        rows = await tx.conn.execute(sa.select(_B.user_id, sa.func.max(_B.amount))
                                     .where(_B.auction_id == auction_id)
                                     .group_by(_B.user_id))
        return {user: int(amount) for user, amount in rows.all()}

    async def bids(self, auction_id: str, *, limit: int = 50) -> list[Bid]:
        """The newest accepted bids of one auction."""
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(auction_bids)
                                      .where(_B.auction_id == auction_id)
                                      .order_by(_B.id.desc()).limit(limit))
            return [Bid(bid_id=r.id, user_id=r.user_id, amount=r.amount,
                        created_at=_when(r.created_at)) for r in rows]
