"""What the operator services need from storage
(`storage/sql/repositories/admin_accounts.py`, `admin_queries.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from yabot.domain.views import AuditEntry, OperatorSession, Totals, UserRow
from yabot.events.dead_letter_queue import DeadLetterRow


class AccountStore(Protocol):
    async def add(self, username: str, password_hash: str, now: datetime) -> bool: ...

    async def remove(self, username: str) -> bool: ...

    async def password_hash(self, username: str) -> str | None: ...

    async def open_session(self, digest: str, session: OperatorSession,
                           now: datetime) -> None: ...

    async def session(self, digest: str) -> OperatorSession | None: ...

    async def close_session(self, digest: str) -> None: ...

    async def audit(self, username: str, action: str, target: str | None,
                    detail: str | None, now: datetime) -> None: ...

    async def recent_audit(self, target: str | None, limit: int) -> list[AuditEntry]: ...


class QueryStore(Protocol):
    async def totals(self, now: datetime, midnight: datetime) -> Totals: ...

    async def events_per_minute(self, start: datetime,
                                now: datetime) -> list[tuple[int, int]]: ...

    async def search_users(self, text: str, limit: int,
                           offset: int) -> tuple[list[UserRow], int]: ...

    async def recent_events(self, event_type: str | None, user_id: str | None,
                            limit: int) -> list[Mapping[str, Any]]: ...


class DeadLetterQueue(Protocol):
    """The bus's dead-letter queue (`events.dead_letter_queue.DeadLetterQueue`)."""

    async def entries(self, *, include_replayed: bool = False,
                   limit: int = 100) -> list[DeadLetterRow]: ...

    async def replay(self, ids: Sequence[int]) -> list[int]: ...


class DeadLetterStore(Protocol):
    async def pending_count(self) -> int: ...

    async def find(self, dead_letter_id: int) -> Mapping[str, Any] | None: ...
