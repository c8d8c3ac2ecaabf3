"""The legacy import's bulk writes: one chunk of users per statement (executemany).

For many users at once they write what the row-by-row path writes for one: registration
(`UserRepository.insert_profile`), an award (`LedgerRepository.lock_wallets` + `move`), the
award event's number (`events.sequencing.next_sequences`) and a paid plan
(`SubscriptionRepository.current_for_update` + `set_status` + `add`). Each method runs in the
caller's transaction (the bus's `Publisher`, whose events commit with it).

Several methods read rows (balances, event numbers, current plans) and then write values
computed from them. That is safe because on SQLite the write transaction holds the one
write lock from its first statement (`BEGIN IMMEDIATE`): no other writer, in this process
or another, can change those rows in between. So this repository exists for SQLite only
(the container builds none for PostgreSQL, where the import keeps the row-by-row path,
which locks the rows it reads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from yabot.domain.context import current_correlation_id
from yabot.storage.sql.database import Database
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables import (
    besitos_ledger,
    event_sequences,
    subscriptions,
    user_profiles,
    wallets,
)

_P, _L, _S = user_profiles.c, besitos_ledger.c, subscriptions.c
_SET_DATE = (user_profiles.update().where(_P.user_id == sa.bindparam("uid"))
             .values(registration_date=sa.bindparam("when", type_=_P.registration_date.type)))
_CREDIT = sqlite.insert(wallets)
_CREDIT = _CREDIT.on_conflict_do_update(
    index_elements=[wallets.c.user_id],
    set_={"balance": wallets.c.balance + _CREDIT.excluded.balance,
          "updated_at": _CREDIT.excluded.updated_at})
_NUMBER = sqlite.insert(event_sequences).on_conflict_do_update(
    index_elements=[event_sequences.c.user_id],
    set_={"last_sequence": event_sequences.c.last_sequence + 1})
_DEACTIVATE = (subscriptions.update().where(_S.id == sa.bindparam("sid"))
               .values(status="inactive", updated_at=sa.bindparam("now", type_=_S.updated_at.type)))


class LegacyImportRepository:
    """Implements `services.users.ports.LegacyImportStore` (SQLite only, see above)."""

    def __init__(self, db: Database) -> None:
        if not db.is_sqlite:
            raise ValueError("the bulk import relies on SQLite's single writer")
        self.db = db

    async def existing_profiles(self, tx: Transaction, user_ids: Sequence[str]) -> set[str]:
        """Which of these users have a profile."""
        found = await tx.conn.execute(sa.select(_P.user_id).where(_P.user_id.in_(user_ids)))
        return set(found.scalars())

    async def insert_profiles(self, tx: Transaction, rows: Sequence[Mapping[str, Any]]) -> None:
        """New profiles (columns by name). A row whose `registration_date` is None gets the
        column's default (now), as a registration does."""
        dated = [dict(r) for r in rows if r.get("registration_date") is not None]
        undated = [{k: v for k, v in r.items() if k != "registration_date"}
                   for r in rows if r.get("registration_date") is None]
        for group in (dated, undated):
            if group:
                await tx.conn.execute(user_profiles.insert(), group)

    async def set_registration_dates(self, tx: Transaction,
                                     dates: Mapping[str, datetime]) -> None:
        if dates:
            await tx.conn.execute(_SET_DATE, [{"uid": u, "when": d} for u, d in dates.items()])

    async def entries_by_key(self, tx: Transaction,
                             keys: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(user id, amount) of the ledger entries with these idempotency keys."""
        found = await tx.conn.execute(sa.select(_L.idempotency_key, _L.user_id, _L.amount)
                                      .where(_L.idempotency_key.in_(keys)))
        return {r[0]: (r[1], int(r[2])) for r in found}

    async def award(self, tx: Transaction, awards: Sequence[tuple[str, int, str]], *,
                    reason: str, now: datetime) -> dict[str, int]:
        """Credit each (user, amount > 0, key): the wallet (created when missing) and one
        ledger entry (its correlation id as `move` takes it); returns each user's balance
        after it. One award per user."""
        ids = [a[0] for a in awards]
        if not ids:
            return {}
        before = {r[0]: int(r[1]) for r in await tx.conn.execute(
            sa.select(wallets.c.user_id, wallets.c.balance).where(wallets.c.user_id.in_(ids)))}
        after = {user: before.get(user, 0) + amount for user, amount, _ in awards}
        await tx.conn.execute(_CREDIT, [{"user_id": user, "balance": amount, "updated_at": now}
                                        for user, amount, _ in awards])
        await tx.conn.execute(besitos_ledger.insert(), [
            {"user_id": user, "amount": amount, "reason": reason, "idempotency_key": key,
             "balance_after": after[user], "correlation_id": current_correlation_id(),
             "created_at": now}
            for user, amount, key in awards])
        return after

    async def next_sequences(self, tx: Transaction, user_ids: Sequence[str]) -> dict[str, int]:
        """The next per-user event number of each user (one each)."""
        if not user_ids:
            return {}
        q = event_sequences.c
        before = {r[0]: int(r[1]) for r in await tx.conn.execute(
            sa.select(q.user_id, q.last_sequence).where(q.user_id.in_(user_ids)))}
        await tx.conn.execute(_NUMBER, [{"user_id": u, "last_sequence": 1} for u in user_ids])
        return {u: before.get(u, 0) + 1 for u in user_ids}

    async def current_plans(self, tx: Transaction,
                            user_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """(id, status) of each user's newest subscription row, for users that have one."""
        newest = (sa.select(sa.func.max(_S.id)).where(_S.user_id.in_(user_ids))
                  .group_by(_S.user_id))
        found = await tx.conn.execute(sa.select(_S.user_id, _S.id, _S.status)
                                      .where(_S.id.in_(newest)))
        return {r[0]: (int(r[1]), r[2]) for r in found}

    async def start_plans(self, tx: Transaction, plans: Sequence[tuple[str, str, datetime | None]],
                          *, deactivate: Sequence[int], now: datetime) -> None:
        """Mark the `deactivate` rows `inactive`, then add an active period starting `now`
        for each (user, plan type, end date)."""
        if deactivate:
            await tx.conn.execute(_DEACTIVATE, [{"sid": i, "now": now} for i in deactivate])
        if plans:
            await tx.conn.execute(subscriptions.insert(), [
                {"user_id": user, "plan_type": plan, "status": "active", "start_date": now,
                 "end_date": end, "created_at": now, "updated_at": now}
                for user, plan, end in plans])
