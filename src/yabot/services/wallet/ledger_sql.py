"""The ledger's SQL: wallet rows, the conditional balance update, append-only entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.context import current_correlation_id
from yabot.domain.errors import InsufficientFundsError, NotFoundError
from yabot.domain.views import LedgerEntry
from yabot.storage.sql.tables import besitos_ledger, user_profiles, wallets

__all__ = ["AsyncConnection", "balance", "entry_by_key", "is_sqlite", "lock_wallets", "move",
           "recent_entries", "require_users"]

_ENTRY = [besitos_ledger.c[n] for n in ("id", "user_id", "amount", "reason", "idempotency_key",
                                         "balance_after", "created_at")]


def is_sqlite(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "sqlite"


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _entry(row: Any) -> LedgerEntry:
    m = row._mapping
    return LedgerEntry(id=m["id"], user_id=m["user_id"], amount=m["amount"], reason=m["reason"],
                       idempotency_key=m["idempotency_key"], balance_after=m["balance_after"],
                       created_at=_utc(m["created_at"]))


async def entry_by_key(conn: AsyncConnection, key: str) -> LedgerEntry | None:
    row = (await conn.execute(sa.select(*_ENTRY)
                              .where(besitos_ledger.c.idempotency_key == key))).first()
    return None if row is None else _entry(row)


async def require_users(conn: AsyncConnection, user_ids: Sequence[str]) -> None:
    """NotFoundError("user") for the first id without a profile."""
    found = set((await conn.execute(sa.select(user_profiles.c.user_id)
                                    .where(user_profiles.c.user_id.in_(list(user_ids)))))
                .scalars())
    for user_id in user_ids:
        if user_id not in found:
            raise NotFoundError("user", user_id)


async def lock_wallets(conn: AsyncConnection, user_ids: Sequence[str]) -> None:
    """Create missing wallets; on PostgreSQL lock them in id order (no deadlocks).
    SQLite needs no row lock: the write transaction began IMMEDIATE."""
    dialect = sqlite if is_sqlite(conn) else postgresql
    ids = sorted(set(user_ids))
    await conn.execute(dialect.insert(wallets).on_conflict_do_nothing(),
                       [{"user_id": u, "balance": 0} for u in ids])
    if not is_sqlite(conn):
        await conn.execute(sa.select(wallets.c.user_id).where(wallets.c.user_id.in_(ids))
                           .order_by(wallets.c.user_id).with_for_update())


async def balance(conn: AsyncConnection, user_id: str) -> int:
    value = (await conn.execute(sa.select(wallets.c.balance)
                                .where(wallets.c.user_id == user_id))).scalar()
    return int(value or 0)


async def move(conn: AsyncConnection, user_id: str, amount: int, reason: str,
               key: str) -> LedgerEntry:
    """Apply a signed amount: conditional wallet update, then the ledger entry."""
    now = datetime.now(UTC)
    new_balance = (await conn.execute(
        wallets.update()
        .where(wallets.c.user_id == user_id, wallets.c.balance + amount >= 0)
        .values(balance=wallets.c.balance + amount, updated_at=now)
        .returning(wallets.c.balance))).scalar()
    if new_balance is None:
        raise InsufficientFundsError(user_id, await balance(conn, user_id), -amount)
    entry_id = (await conn.execute(besitos_ledger.insert().values(
        user_id=user_id, amount=amount, reason=reason, idempotency_key=key,
        balance_after=new_balance, correlation_id=current_correlation_id(), created_at=now,
    ).returning(besitos_ledger.c.id))).scalar_one()
    return LedgerEntry(id=entry_id, user_id=user_id, amount=amount, reason=reason,
                       idempotency_key=key, balance_after=int(new_balance), created_at=now)


async def recent_entries(conn: AsyncConnection, user_id: str, limit: int) -> list[LedgerEntry]:
    rows = await conn.execute(sa.select(*_ENTRY).where(besitos_ledger.c.user_id == user_id)
                              .order_by(besitos_ledger.c.id.desc()).limit(limit))
    return [_entry(r) for r in rows]
