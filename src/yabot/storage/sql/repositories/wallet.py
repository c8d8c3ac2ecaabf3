"""The ledger's SQL: wallet rows, the conditional balance update, append-only entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import as_utc, utcnow
from yabot.domain.context import current_correlation_id
from yabot.domain.errors import InsufficientFundsError, NotFoundError
from yabot.domain.views import LedgerEntry, WalletView
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables import besitos_ledger, user_profiles, wallets

_ENTRY = [besitos_ledger.c[n] for n in ("id", "user_id", "amount", "reason", "idempotency_key",
                                         "balance_after", "created_at")]


def _entry(row: Any) -> LedgerEntry:
    m = row._mapping
    created = m["created_at"]
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    return LedgerEntry(id=m["id"], user_id=m["user_id"], amount=m["amount"], reason=m["reason"],
                       idempotency_key=m["idempotency_key"], balance_after=m["balance_after"],
                       created_at=as_utc(created))


async def _require_users(conn: AsyncConnection, user_ids: Sequence[str]) -> None:
    found = set((await conn.execute(sa.select(user_profiles.c.user_id)
                                    .where(user_profiles.c.user_id.in_(list(user_ids)))))
                .scalars())
    for user_id in user_ids:
        if user_id not in found:
            raise NotFoundError("user", user_id)


async def _balance(conn: AsyncConnection, user_id: str) -> int:
    value = (await conn.execute(sa.select(wallets.c.balance)
                                .where(wallets.c.user_id == user_id))).scalar()
    return int(value or 0)


class LedgerRepository:
    """Implements `services.wallet.ports.LedgerStore`."""

    # a concurrent writer used the same idempotency key first (PostgreSQL): replay once
    races: tuple[type[BaseException], ...] = (IntegrityError,)

    def __init__(self, db: Database) -> None:
        self.db = db

    async def entry_by_key(self, tx: Transaction, key: str, *,
                           after_lock: bool = False) -> LedgerEntry | None:
        """The entry with this idempotency key. `after_lock`: looking again once the wallets
        are locked; on SQLite the write began IMMEDIATE, so nobody can have added it."""
        if after_lock and tx.conn.dialect.name == "sqlite":
            return None
        row = (await tx.conn.execute(sa.select(*_ENTRY)
                                     .where(besitos_ledger.c.idempotency_key == key))).first()
        return None if row is None else _entry(row)

    async def require_users(self, tx: Transaction, user_ids: Sequence[str]) -> None:
        """NotFoundError("user") for the first id without a profile."""
        await _require_users(tx.conn, user_ids)

    async def lock_wallets(self, tx: Transaction, user_ids: Sequence[str]) -> None:
        """Create missing wallets; on PostgreSQL lock them in id order (no deadlocks).
        SQLite needs no row lock: the write transaction began IMMEDIATE."""
        conn, ids = tx.conn, sorted(set(user_ids))
        await conn.execute(insert_for(conn, wallets).on_conflict_do_nothing(),
                           [{"user_id": u, "balance": 0} for u in ids])
        if conn.dialect.name != "sqlite":
            await conn.execute(sa.select(wallets.c.user_id).where(wallets.c.user_id.in_(ids))
                               .order_by(wallets.c.user_id).with_for_update())

    async def balance(self, user_id: str, *, tx: Transaction | None = None) -> int:
        """The current balance (0 without a wallet), in `tx` or on a read connection."""
        if tx is not None:
            return await _balance(tx.conn, user_id)
        async with self.db.read() as conn:
            return await _balance(conn, user_id)

    async def move(self, tx: Transaction, user_id: str, amount: int, reason: str,
                   key: str) -> LedgerEntry:
        """Apply a signed amount: conditional wallet update, then the ledger entry."""
        conn, now = tx.conn, utcnow()
        new_balance = (await conn.execute(
            wallets.update()
            .where(wallets.c.user_id == user_id, wallets.c.balance + amount >= 0)
            .values(balance=wallets.c.balance + amount, updated_at=now)
            .returning(wallets.c.balance))).scalar()
        if new_balance is None:
            raise InsufficientFundsError(user_id, await _balance(conn, user_id), -amount)
        entry_id = (await conn.execute(besitos_ledger.insert().values(
            user_id=user_id, amount=amount, reason=reason, idempotency_key=key,
            balance_after=new_balance, correlation_id=current_correlation_id(), created_at=now,
        ).returning(besitos_ledger.c.id))).scalar_one()
        return LedgerEntry(id=entry_id, user_id=user_id, amount=amount, reason=reason,
                           idempotency_key=key, balance_after=int(new_balance), created_at=now)

    async def wallet(self, user_id: str, limit: int) -> WalletView:
        """Balance and the newest `limit` entries; NotFoundError("user")."""
        async with self.db.read() as conn:
            await _require_users(conn, [user_id])
            balance = await _balance(conn, user_id)
            rows = await conn.execute(sa.select(*_ENTRY)
                                      .where(besitos_ledger.c.user_id == user_id)
                                      .order_by(besitos_ledger.c.id.desc()).limit(limit))
            entries = [_entry(r) for r in rows]
        return WalletView(user_id=user_id, balance=balance, entries=entries)
