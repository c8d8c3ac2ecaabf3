"""What messaging needs from storage: the update inbox (implemented by
`storage/sql/repositories/updates.py`) and broadcasts (`repositories/broadcasts.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from yabot.domain.views import BroadcastRow, InboxRow
from yabot.events.handler_context import Publisher


class UpdateStore(Protocol):
    """`processed_updates`: the primary key de-duplicates a redelivered update_id."""

    async def insert(self, tx: Publisher, rows: list[tuple[int, str]]) -> set[int]: ...

    async def mark_failed(self, tx: Publisher, update_id: int, error: str, *,
                          final: bool) -> int: ...

    async def pending(self, *, after: int | None = None,
                      limit: int = 500) -> list[InboxRow]: ...

    async def purge_done(self, older_than: timedelta) -> int: ...


class BroadcastStore(Protocol):
    async def create(self, *, key: str, text: str, segment: str, params: str,
                     created_by: str | None, now: datetime) -> tuple[int, int, bool]: ...

    async def get(self, broadcast_id: int) -> BroadcastRow | None: ...

    async def recent(self, limit: int) -> list[BroadcastRow]: ...
