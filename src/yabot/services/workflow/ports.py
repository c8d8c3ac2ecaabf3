"""What the workflows need from storage (`storage/sql/repositories/workflows.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from yabot.events.handler_context import Publisher


class JobStore(Protocol):
    """The last run of each scheduled job, claimed once per slot across processes."""

    async def last_runs(self) -> dict[str, float]: ...

    async def claim(self, name: str, interval: float, now: float, owner: str) -> bool: ...

    async def finish(self, name: str, owner: str, error: str | None) -> None: ...


class LeaseStore(Protocol):
    """The relay's lease table (`events.outbox.Outbox`): one scheduler holds it."""

    async def hold_lease(self, name: str, owner: str, ttl: float) -> bool: ...

    async def drop_lease(self, name: str, owner: str) -> None: ...


class RewardStore(Protocol):
    """Reaction rewards, once per (user, message), and what the economy's rules read."""

    async def known_user(self, tx: Publisher, user_id: str) -> bool: ...

    async def is_vip(self, tx: Publisher, user_id: str, at: datetime) -> bool: ...

    async def rewards_since(self, tx: Publisher, user_id: str, since: datetime) -> int: ...

    async def first_reward(self, tx: Publisher, user_id: str, content_id: str,
                           event_id: str, amount: int, at: datetime) -> bool: ...
