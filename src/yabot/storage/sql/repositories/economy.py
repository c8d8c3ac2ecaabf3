"""Implements `services.economy.ports.EconomyStore` over the economy's statements
(`economy_content`, `economy_progress`, `economy_rewards`, `economy_shop`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.economy import MissionRow, Operation
from yabot.storage.sql.database import Database
from yabot.storage.sql.repositories import (
    economy_content,
    economy_progress,
    economy_rewards,
    economy_shop,
)
from yabot.storage.sql.repositories.base import Transaction


class EconomyRepository:
    """Shop, achievements, trivia, missions, gifts, rankings. `tx` methods run in that open
    transaction; the others (or `tx=None`) read on their own connection."""

    # a concurrent first write won the primary key (PostgreSQL): run once more as a replay
    races: tuple[type[BaseException], ...] = (IntegrityError,)

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def _conn(self, tx: Transaction | None) -> AsyncIterator[AsyncConnection]:
        if tx is not None:
            yield tx.conn
        else:
            async with self.db.read() as conn:
                yield conn

    async def user_exists(self, user_id: str, *, tx: Transaction | None = None) -> bool:
        async with self._conn(tx) as conn:
            return await economy_progress.user_exists(conn, user_id)

    async def is_vip(self, tx: Transaction, user_id: str, at: datetime) -> bool:
        return await economy_progress.is_vip(tx.conn, user_id, at)

    async def sections(self, kinds: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
        """The entries of each section, in pack order (one read)."""
        async with self.db.read() as conn:
            return {kind: await economy_content.section(conn, kind) for kind in kinds}

    async def hint_text(self, hint_id: str) -> str | None:
        async with self.db.read() as conn:
            return await economy_content.hint_text(conn, hint_id)

    # achievements and trivia
    async def bump_counter(self, tx: Transaction, user_id: str, event_type: str) -> int:
        return await economy_progress.bump_counter(tx.conn, user_id, event_type)

    async def unlock_achievement(self, tx: Transaction, user_id: str, achievement_id: str,
                                 event_id: str, at: datetime) -> bool:
        return await economy_progress.unlock_achievement(tx.conn, user_id, achievement_id,
                                                         event_id, at)

    async def achievements_of(self, user_id: str) -> dict[str, datetime]:
        async with self.db.read() as conn:
            return await economy_progress.achievements_of(conn, user_id)

    async def record_answer(self, tx: Transaction, user_id: str, question_id: str, option: int,
                            correct: bool, at: datetime) -> bool:
        return await economy_progress.record_answer(tx.conn, user_id, question_id, option,
                                                    correct, at)

    async def answers_of(self, user_id: str, *,
                         tx: Transaction | None = None) -> dict[str, tuple[int, bool]]:
        async with self._conn(tx) as conn:
            return await economy_progress.answers_of(conn, user_id)

    # missions, gifts, earnings
    async def assign_missions(self, tx: Transaction, user_id: str, day: str,
                              rows: list[MissionRow]) -> list[str]:
        return await economy_rewards.assign_missions(tx.conn, user_id, day, rows)

    async def missions_of(self, user_id: str, day: str, *,
                          tx: Transaction | None = None) -> list[MissionRow]:
        async with self._conn(tx) as conn:
            return await economy_rewards.missions_of(conn, user_id, day)

    async def advance_missions(self, tx: Transaction, user_id: str, day: str, event_type: str,
                               at: datetime) -> list[MissionRow]:
        return await economy_rewards.advance_missions(tx.conn, user_id, day, event_type, at)

    async def expire_missions(self, tx: Transaction, now: datetime) -> int:
        return await economy_rewards.expire_missions(tx.conn, now)

    async def recent_gifts(self, user_id: str, limit: int = 40, *,
                           tx: Transaction | None = None) -> list[tuple[str, int, bool]]:
        async with self._conn(tx) as conn:
            return await economy_rewards.recent_gifts(conn, user_id, limit)

    async def record_gift(self, tx: Transaction, user_id: str, day: str, amount: int,
                          streak: int, recovered: bool, at: datetime) -> bool:
        return await economy_rewards.record_gift(tx.conn, user_id, day, amount, streak,
                                                 recovered, at)

    async def lifetime_earned(self, user_id: str) -> int:
        async with self.db.read() as conn:
            return await economy_rewards.lifetime_earned(conn, user_id)

    async def top_earners(self, since: datetime,
                          limit: int) -> list[tuple[str, str | None, int]]:
        async with self.db.read() as conn:
            return await economy_rewards.top_earners(conn, since, limit)

    # the shop and the inventory
    async def operation(self, tx: Transaction, key: str) -> Operation | None:
        return await economy_shop.operation(tx.conn, key)

    async def record_operation(self, tx: Transaction, op: Operation) -> None:
        await economy_shop.record_operation(tx.conn, op)

    async def add_item(self, tx: Transaction, user_id: str, item_id: str, quantity: int) -> int:
        return await economy_shop.add(tx.conn, user_id, item_id, quantity)

    async def take_item(self, tx: Transaction, user_id: str, item_id: str,
                        quantity: int) -> int | None:
        return await economy_shop.take(tx.conn, user_id, item_id, quantity)

    async def items_of(self, user_id: str) -> list[tuple[str, int]]:
        async with self.db.read() as conn:
            return await economy_shop.items_of(conn, user_id)

    async def quantity(self, user_id: str, item_id: str) -> int:
        async with self.db.read() as conn:
            return await economy_shop.quantity(conn, user_id, item_id)
