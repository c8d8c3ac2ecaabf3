"""What users need from storage: profile rows (`storage/sql/repositories/users.py`) and, on
the embedded default, the user document written in the same transaction
(`storage/sql/repositories/shared_documents.py`); with separate stores, saga state
(`storage/sql/repositories/workflows.py`); the legacy import's bulk writes
(`storage/sql/repositories/user_import.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from yabot.domain.models import UserDocument
from yabot.domain.views import WorkflowRow
from yabot.events.handler_context import Publisher
from yabot.storage.sql.profiles import ProfileRecord

# registration dates, opening balances (by user), current paid plans (type, end)
LegacyState = tuple[dict[str, datetime | None], dict[str, int],
                    dict[str, tuple[str, datetime | None]]]


class UserStore(Protocol):
    async def exists(self, user_id: str) -> bool: ...

    async def profile(self, user_id: str) -> ProfileRecord | None: ...

    async def insert_profile(self, tx: Publisher, user_id: str, telegram_user_id: int,
                             values: Mapping[str, str | None]) -> bool: ...

    async def update_profile(self, user_id: str, changes: Mapping[str, Any]) -> bool: ...

    async def set_registration_date(self, tx: Publisher, user_id: str,
                                    when: datetime | None) -> None: ...

    async def record_activity(self, tx: Publisher, user_id: str, when: datetime) -> None: ...

    async def delete_rows(self, tx: Publisher, user_id: str) -> bool: ...

    async def legacy_state(self, user_ids: Sequence[str],
                           opening_keys: Mapping[str, str]) -> LegacyState: ...


class SharedDocuments(Protocol):
    """The user document, written in the relational transaction (one SQLite file)."""

    async def create_user(self, tx: Publisher, user: UserDocument, *,
                          replace: bool = False) -> None: ...

    async def create_users(self, tx: Publisher, user_ids: Sequence[str]) -> None:
        """New users' documents (`UserDocument` defaults), in one statement; an existing
        one is overwritten, as `create_user(..., replace=True)` does."""
        ...

    async def delete_user(self, tx: Publisher, user_id: str) -> bool: ...


class LegacyImportStore(Protocol):
    """The legacy import's bulk writes, a chunk of users per statement, in `tx`
    (`storage/sql/repositories/user_import.py`; SQLite only: it reads, then writes what it
    read, under SQLite's one write lock)."""

    async def existing_profiles(self, tx: Publisher, user_ids: Sequence[str]) -> set[str]: ...

    async def insert_profiles(self, tx: Publisher,
                              rows: Sequence[Mapping[str, Any]]) -> None: ...

    async def set_registration_dates(self, tx: Publisher,
                                     dates: Mapping[str, datetime]) -> None: ...

    async def entries_by_key(self, tx: Publisher,
                             keys: Sequence[str]) -> dict[str, tuple[str, int]]: ...

    async def award(self, tx: Publisher, awards: Sequence[tuple[str, int, str]], *,
                    reason: str, now: datetime) -> dict[str, int]: ...

    async def next_sequences(self, tx: Publisher,
                             user_ids: Sequence[str]) -> dict[str, int]: ...

    async def current_plans(self, tx: Publisher,
                            user_ids: Sequence[str]) -> dict[str, tuple[int, str]]: ...

    async def start_plans(self, tx: Publisher,
                          plans: Sequence[tuple[str, str, datetime | None]], *,
                          deactivate: Sequence[int], now: datetime) -> None: ...


class SagaStore(Protocol):
    """Open sagas, one per (kind, user); every move is conditional on the current state."""

    async def insert(self, tx: Publisher, kind: str, user_id: str, data: str) -> bool: ...

    async def start(self, kind: str, user_id: str, data: str) -> bool: ...

    async def get(self, kind: str, user_id: str) -> WorkflowRow | None: ...

    async def transition(self, kind: str, user_id: str, old: str, new: str) -> bool: ...

    async def finish(self, tx: Publisher, kind: str, user_id: str, state: str) -> bool: ...

    async def remove(self, kind: str, user_id: str, state: str) -> bool: ...

    async def open(self, *, min_age: float = 0, limit: int = 1000) -> list[WorkflowRow]: ...
