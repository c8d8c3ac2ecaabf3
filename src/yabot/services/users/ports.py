"""What users need from storage: profile rows (`storage/sql/repositories/users.py`) and, on
the embedded default, the user document written in the same transaction
(`storage/sql/repositories/shared_documents.py`); with separate stores, saga state
(`storage/sql/repositories/workflows.py`)."""

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

    async def delete_user(self, tx: Publisher, user_id: str) -> bool: ...


class SagaStore(Protocol):
    """Open sagas, one per (kind, user); every move is conditional on the current state."""

    async def insert(self, tx: Publisher, kind: str, user_id: str, data: str) -> bool: ...

    async def start(self, kind: str, user_id: str, data: str) -> bool: ...

    async def get(self, kind: str, user_id: str) -> WorkflowRow | None: ...

    async def transition(self, kind: str, user_id: str, old: str, new: str) -> bool: ...

    async def finish(self, tx: Publisher, kind: str, user_id: str, state: str) -> bool: ...

    async def remove(self, kind: str, user_id: str, state: str) -> bool: ...

    async def open(self, *, min_age: float = 0, limit: int = 1000) -> list[WorkflowRow]: ...
