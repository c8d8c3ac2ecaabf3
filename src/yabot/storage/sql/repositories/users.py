"""User rows: the profile, everything a user owns (deleted with it), activity, and what
the legacy import compares against."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from yabot.domain.clock import as_utc_or_none
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.profiles import ProfileRecord, get_profile
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables import (
    besitos_ledger,
    subscription_notices,
    subscriptions,
    user_profiles,
    wallets,
    workflows,
)

_P = user_profiles.c
_EXISTS: sa.Select[Any] = sa.select(sa.literal_column("1", sa.Integer)).where(
    _P.user_id == sa.bindparam("user_id"))
LegacyState = tuple[dict[str, datetime | None], dict[str, int],
                    dict[str, tuple[str, datetime | None]]]


class UserRepository:
    """Implements `services.users.ports.UserStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def exists(self, user_id: str) -> bool:
        """One hop to the driver's thread on SQLite (every update asks)."""
        return (await self.db.fetch(_EXISTS, {"user_id": user_id})).first() is not None

    async def profile(self, user_id: str) -> ProfileRecord | None:
        return await get_profile(self.db, user_id)

    async def insert_profile(self, tx: Transaction, user_id: str, telegram_user_id: int,
                             values: Mapping[str, str | None]) -> bool:
        """Insert the profile unless it exists; True when this call inserted it."""
        stmt = (insert_for(tx.conn, user_profiles)
                .values(user_id=user_id, telegram_user_id=telegram_user_id, **values)
                .on_conflict_do_nothing().returning(_P.user_id))
        return (await tx.conn.execute(stmt)).first() is not None

    async def update_profile(self, user_id: str, changes: Mapping[str, Any]) -> bool:
        """False when there is no such user."""
        async with self.db.write() as conn:
            found = await conn.execute(user_profiles.update().where(_P.user_id == user_id)
                                       .values(**changes).returning(_P.user_id))
            return found.first() is not None

    async def set_registration_date(self, tx: Transaction, user_id: str,
                                    when: datetime | None) -> None:
        await tx.conn.execute(user_profiles.update().where(_P.user_id == user_id)
                              .values(registration_date=when))

    async def record_activity(self, tx: Transaction, user_id: str, when: datetime) -> None:
        """Move `last_activity` forward only: a late redelivery never sets an older time."""
        await tx.conn.execute(
            user_profiles.update().where(_P.user_id == user_id)
            .where(sa.or_(_P.last_activity.is_(None), _P.last_activity < when))
            .values(last_activity=when))

    async def delete_rows(self, tx: Transaction, user_id: str) -> bool:
        """Delete the profile and what hangs off it: subscriptions (and their notices), the
        wallet, the user's ledger entries and finished workflow rows. False: no such user.

        Ledger entries are removed, not anonymised: reasons and idempotency keys may name the
        user, and the wallet they explain is gone too (see docs/architecture.md).
        """
        conn = tx.conn
        ids = sa.select(subscriptions.c.id).where(subscriptions.c.user_id == user_id)
        await conn.execute(subscription_notices.delete()
                           .where(subscription_notices.c.subscription_id.in_(ids)))
        await conn.execute(subscriptions.delete().where(subscriptions.c.user_id == user_id))
        await conn.execute(wallets.delete().where(wallets.c.user_id == user_id))
        await conn.execute(besitos_ledger.delete().where(besitos_ledger.c.user_id == user_id))
        await conn.execute(workflows.delete().where(workflows.c.user_id == user_id,
                                                    workflows.c.kind == "create_user"))
        gone = await conn.execute(user_profiles.delete().where(_P.user_id == user_id)
                                  .returning(_P.user_id))
        return gone.first() is not None

    async def legacy_state(self, user_ids: Sequence[str],
                           opening_keys: Mapping[str, str]) -> LegacyState:
        """For an import: registration dates of existing profiles, the opening amounts
        already in the ledger (`opening_keys`: key -> user id), current paid plans."""
        ids, s = list(user_ids), subscriptions.c
        newest = (sa.select(s.user_id, sa.func.max(s.id))
                  .where(s.user_id.in_(ids)).group_by(s.user_id))
        async with self.db.read() as conn:
            profiles = {r[0]: as_utc_or_none(r[1]) for r in await conn.execute(
                sa.select(_P.user_id, _P.registration_date).where(_P.user_id.in_(ids)))}
            openings = {opening_keys[r[0]]: int(r[1]) for r in await conn.execute(
                sa.select(besitos_ledger.c.idempotency_key, besitos_ledger.c.amount)
                .where(besitos_ledger.c.idempotency_key.in_(list(opening_keys))))}
            plans = {r[0]: (r[1], as_utc_or_none(r[2])) for r in await conn.execute(
                sa.select(s.user_id, s.plan_type, s.end_date)
                .where(s.id.in_([row[1] for row in await conn.execute(newest)]),
                       s.status == "active"))}
        return profiles, openings, plans
