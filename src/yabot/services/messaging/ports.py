"""What messaging needs from storage: the send queue (implemented by
`storage/sql/repositories/messaging.py`), the update inbox (`repositories/updates.py`) and
broadcasts (`repositories/broadcasts.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from yabot.domain.views import BroadcastRow, InboxRow, NewMessage, QueuedMessage, Settlement
from yabot.events.handler_context import Publisher


class MessageStore(Protocol):
    """`outgoing_messages` and `blocked_chats`: `tx` methods write in that open transaction
    (the rows commit with the caller's effects); the sender's claim, settle and sweep run in
    their own."""

    async def insert(self, tx: Publisher, rows: list[NewMessage]) -> list[int]: ...

    async def insert_claimed(self, tx: Publisher, rows: list[NewMessage], *, owner: str,
                             until: datetime) -> list[QueuedMessage]: ...

    async def unblock(self, tx: Publisher, chat_ids: list[int]) -> None: ...

    async def mark_done(self, tx: Publisher, update_ids: list[int]) -> None: ...

    async def record_activity(self, tx: Publisher, last: dict[str, datetime],
                              counts: dict[tuple[str, str], tuple[int, datetime]]) -> None: ...

    async def claim(self, *, owner: str, now: datetime, until: datetime,
                    limit: int) -> list[QueuedMessage]: ...

    async def settle(self, s: Settlement, *, now: datetime) -> None: ...

    async def sweep(self, *, now: datetime, purge_before: datetime) -> int: ...


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
