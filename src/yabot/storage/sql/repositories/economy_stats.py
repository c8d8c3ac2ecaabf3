"""The economy's figures for operators: besitos created and spent per day and reason, and
what existed before a day (the money supply's starting point)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import besitos_ledger

_L = besitos_ledger.c
# what an entry created (> 0) or spent (< 0): holds and releases net zero
_NET = _L.amount + _L.held_delta


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class EconomyStatsRepository:
    """Implements `services.economy.stats.StatsStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def flows(self, since: datetime) -> list[tuple[date, str, int, int]]:
        """(UTC day, reason, created, spent) for entries since `since`; spent positive."""
        day = sa.func.date(_L.created_at).label("day")
        created = sa.func.sum(sa.case((_NET > 0, _NET), else_=0)).label("created")
        spent = sa.func.sum(sa.case((_NET < 0, -_NET), else_=0)).label("spent")
        query = (sa.select(day, _L.reason, created, spent)
                 .where(_L.created_at >= since, _NET != 0)
                 .group_by(day, _L.reason).order_by(day))
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [(_day(r.day), r.reason, int(r.created), int(r.spent)) for r in rows]

    async def supply_before(self, moment: datetime) -> int:
        """Every besito created minus every one spent before `moment`."""
        async with self.db.read() as conn:
            value = (await conn.execute(sa.select(sa.func.coalesce(sa.func.sum(_NET), 0))
                                        .where(_L.created_at < moment))).scalar()
        return int(value or 0)
