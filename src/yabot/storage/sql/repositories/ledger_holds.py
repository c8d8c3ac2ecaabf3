"""Ledger holds: besitos moved between a wallet's `balance` and `held`, each move an entry.

A hold is an entry with `amount` -x and `held_delta` +x (a release is the reverse), so every
entry's `amount + held_delta` is what it created or spent, and holds and releases net zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import utcnow
from yabot.domain.context import current_correlation_id
from yabot.domain.errors import ConflictError, InsufficientFundsError, NotFoundError
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables import besitos_ledger, user_profiles, wallets

_W = wallets.c


async def _totals(conn: AsyncConnection, user_id: str) -> tuple[int, int]:
    row = (await conn.execute(sa.select(_W.balance, _W.held)
                              .where(_W.user_id == user_id))).first()
    return (0, 0) if row is None else (int(row.balance), int(row.held))


class HoldRepository:
    """Implements `services.wallet.holds.HoldStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def user_exists(self, tx: Transaction, user_id: str) -> bool:
        found = (await tx.conn.execute(sa.select(user_profiles.c.user_id)
                                       .where(user_profiles.c.user_id == user_id))).first()
        return found is not None

    async def require_user(self, tx: Transaction, user_id: str) -> None:
        """NotFoundError("user") without a profile."""
        if not await self.user_exists(tx, user_id):
            raise NotFoundError("user", user_id)

    async def lock(self, tx: Transaction, user_ids: Sequence[str]) -> None:
        """Create missing wallets; on PostgreSQL lock them in id order (no deadlocks)."""
        conn, ids = tx.conn, sorted(set(user_ids))
        await conn.execute(insert_for(conn, wallets).on_conflict_do_nothing(),
                           [{"user_id": u, "balance": 0} for u in ids])
        if conn.dialect.name != "sqlite":
            await conn.execute(sa.select(_W.user_id).where(_W.user_id.in_(ids))
                               .order_by(_W.user_id).with_for_update())

    async def shift(self, tx: Transaction, user_id: str, held_delta: int, reason: str,
                    key: str) -> tuple[int, int]:
        """Move `held_delta` from balance to held (> 0, a hold) or back (< 0, a release),
        with its ledger entry; returns (balance, held) after it."""
        conn, now = tx.conn, utcnow()
        row = (await conn.execute(
            wallets.update()
            .where(_W.user_id == user_id, _W.balance - held_delta >= 0,
                   _W.held + held_delta >= 0)
            .values(balance=_W.balance - held_delta, held=_W.held + held_delta,
                    updated_at=now)
            .returning(_W.balance, _W.held))).first()
        if row is None:
            balance, held = await _totals(conn, user_id)
            if held_delta > 0:
                raise InsufficientFundsError(user_id, balance, held_delta)
            raise ConflictError(f"user {user_id!r} holds {held}, cannot release {-held_delta}")
        await conn.execute(besitos_ledger.insert().values(
            user_id=user_id, amount=-held_delta, held_delta=held_delta, reason=reason,
            idempotency_key=key, balance_after=row.balance,
            correlation_id=current_correlation_id(), created_at=now))
        return int(row.balance), int(row.held)

    async def totals(self, user_id: str, *, tx: Transaction | None = None) -> tuple[int, int]:
        """(balance, held) of a wallet; (0, 0) without one."""
        if tx is not None:
            return await _totals(tx.conn, user_id)
        async with self.db.read() as conn:
            return await _totals(conn, user_id)
