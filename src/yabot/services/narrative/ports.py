"""What the narrative needs from storage: hints (`storage/sql/repositories/narrative.py`)
and, on the embedded default, document writes in the relational transaction
(`storage/sql/repositories/shared_documents.py`). Fragments and items are documents
(`storage/documents`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from yabot.domain.models import Hint, Item, NarrativeFragment, UserDocument
from yabot.events.handler_context import Publisher


class HintStore(Protocol):
    async def upsert_hints(self, tx: Publisher, hints: Sequence[Hint]) -> None: ...

    async def reached(self, tx: Publisher, user_id: str,
                      balance: int) -> list[tuple[str, str]]: ...

    async def unlock(self, tx: Publisher, user_id: str, hint_id: str,
                     event_id: str) -> bool: ...

    async def unlocked_for(self, tx: Publisher, user_id: str,
                           fragment_id: str | None = None) -> list[str]: ...

    async def unlocked_hints(self, user_id: str) -> list[Hint]: ...


class SharedDocuments(Protocol):
    """Documents written in the relational transaction (they share one SQLite file)."""

    async def upsert_fragment(self, tx: Publisher, fragment: NarrativeFragment) -> None: ...

    async def upsert_item(self, tx: Publisher, item: Item) -> None: ...

    async def set_user_state(self, tx: Publisher, user_id: str, values: Mapping[str, Any], *,
                             expect_version: int | None = None) -> UserDocument | None: ...


class StoryStore(Protocol):
    """The economy's side of the story: pack sections, levels, milestones, fragments an
    item opened (`storage/sql/repositories/narrative.py`, `StoryRepository`)."""

    async def stored_state(self) -> tuple[dict[str, str], dict[tuple[str, str], str]]: ...

    async def store_sections(self, tx: Publisher,
                             rows: Mapping[str, list[tuple[str, dict[str, Any]]]]) -> None: ...

    async def levels(self, tx: Publisher) -> list[dict[str, Any]]: ...

    async def hint_fragment(self, tx: Publisher, hint_id: str) -> str | None: ...

    async def add_milestone(self, tx: Publisher, user_id: str, kind: str, key: str,
                            event_id: str) -> bool: ...

    async def unlock_fragment(self, tx: Publisher, user_id: str, fragment_id: str,
                              event_id: str) -> None: ...

    async def fragment_unlocked(self, user_id: str, fragment_id: str) -> bool: ...
