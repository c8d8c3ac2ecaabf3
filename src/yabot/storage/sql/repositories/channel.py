"""VIP channel repository (SQLAlchemy Core): members seen, and removals claimed once."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from yabot.domain.payments import Removal
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables_payments import channel_members, channel_removals

_M, _X = channel_members.c, channel_removals.c
MAX_ATTEMPTS = 5


class SqlChannelRepository:
    """The channel's SQL, behind `ChannelStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_member(self, tx: Transaction, user_id: str, status: str,
                         now: datetime) -> bool:
        """Record `member` or `left`; True only when it changed (or is new)."""
        conn = tx.conn
        insert = insert_for(conn, channel_members).values(user_id=user_id, status=status,
                                                          updated_at=now)
        result = await conn.execute(insert.on_conflict_do_update(
            index_elements=["user_id"], set_={"status": status, "updated_at": now},
            where=_M.status != status).returning(_M.user_id))
        return result.first() is not None

    async def members(self) -> list[str]:
        async with self.db.read() as conn:
            return list((await conn.execute(sa.select(_M.user_id)
                                            .where(_M.status == "member"))).scalars())

    async def add_removal(self, tx: Transaction, key: str, user_id: str, reason: str,
                          now: datetime) -> bool:
        """Queue a removal once per `key`; False when that key exists already."""
        conn = tx.conn
        result = await conn.execute(
            insert_for(conn, channel_removals).values(
                removal_key=key, user_id=user_id, reason=reason, status="pending",
                created_at=now)
            .on_conflict_do_nothing(index_elements=["removal_key"]).returning(_X.id))
        return result.first() is not None

    async def claim_removals(self, owner: str, now: datetime, lease: timedelta,
                             limit: int = 20) -> list[Removal]:
        """Pending removals nobody holds (or whose holder's lease ran out), now ours."""
        async with self.db.read() as conn:
            ids = list((await conn.execute(
                sa.select(_X.id).where(_X.status == "pending", sa.or_(
                    _X.claimed_until.is_(None), _X.claimed_until < now))
                .order_by(_X.id).limit(limit))).scalars())
        claimed: list[Removal] = []
        for removal_id in ids:
            async with self.db.write() as conn:
                row = (await conn.execute(
                    channel_removals.update()
                    .where(_X.id == removal_id, _X.status == "pending", sa.or_(
                        _X.claimed_until.is_(None), _X.claimed_until < now))
                    .values(claimed_by=owner, claimed_until=now + lease,
                            attempts=_X.attempts + 1)
                    .returning(_X.id, _X.user_id, _X.reason, _X.attempts))).first()
            if row is not None:
                claimed.append(Removal(id=row.id, user_id=row.user_id, reason=row.reason,
                                       attempts=row.attempts))
        return claimed

    async def finish_removal(self, removal: Removal, owner: str, status: str,
                             now: datetime, error: str | None = None,
                             tx: Transaction | None = None) -> bool:
        """`done` / `skipped`; with an error the row stays pending for a later attempt
        (given up as `failed` after MAX_ATTEMPTS). In `tx` when given; False when the
        claim was lost (another process holds the row now)."""
        if error is not None and removal.attempts < MAX_ATTEMPTS:
            values: dict[str, object] = {"error": error[:2000], "claimed_until": None}
        else:
            values = {"status": "failed" if error else status, "done_at": now,
                      "error": None if error is None else error[:2000]}
        update = (channel_removals.update()
                  .where(_X.id == removal.id, _X.claimed_by == owner)
                  .values(**values).returning(_X.id))
        if tx is not None:
            return (await tx.conn.execute(update)).first() is not None
        async with self.db.write() as own:
            return (await own.execute(update)).first() is not None

    async def removals_for(self, user_id: str) -> list[tuple[str, str]]:
        """(reason, status) of a user's removals, oldest first (for the panel and tests)."""
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(_X.reason, _X.status)
                                       .where(_X.user_id == user_id).order_by(_X.id))).all()
        return [(r.reason, r.status) for r in rows]
