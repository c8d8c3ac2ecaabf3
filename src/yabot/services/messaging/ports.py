"""What the update path needs from storage: the update inbox (implemented by
`storage/sql/repositories/updates.py`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from yabot.domain.views import InboxRow
from yabot.events.handler_context import Publisher


class UpdateStore(Protocol):
    """`processed_updates`: the primary key de-duplicates a redelivered update_id."""

    async def insert(self, tx: Publisher, rows: list[tuple[int, str]]) -> set[int]: ...

    async def mark_failed(self, tx: Publisher, update_id: int, error: str, *,
                          final: bool) -> int: ...

    async def pending(self, *, after: int | None = None,
                      limit: int = 500) -> list[InboxRow]: ...

    async def purge_done(self, older_than: timedelta) -> int: ...
