"""The document store port: domain-shaped repositories, one adapter file per backend."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from yabot.domain.models import Item, NarrativeFragment, Preferences, UserDocument

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
PREFERENCE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_paths(changes: Mapping[str, Any], pattern: re.Pattern[str] = _PATH) -> None:
    """Reject empty updates and keys that are not plain (dotted) identifiers."""
    if not changes:
        raise ValueError("no fields to update")
    bad = [k for k in changes if not pattern.match(k)]
    if bad:
        raise ValueError(f"invalid field name(s): {', '.join(map(repr, bad))}")
    overlapping = [k for k in changes for other in changes if other.startswith(k + ".")]
    if overlapping:
        raise ValueError(f"overlapping field paths: {', '.join(map(repr, overlapping))}")


def check_page(limit: int, offset: int) -> None:
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must be >= 0")


class UserRepository(ABC):
    @abstractmethod
    async def create(self, user: UserDocument) -> UserDocument:
        """Insert a new user; ConflictError if the user_id exists."""

    @abstractmethod
    async def get(self, user_id: str) -> UserDocument | None: ...

    @abstractmethod
    async def update_state(self, user_id: str, changes: Mapping[str, Any]) -> UserDocument:
        """Set fields under `current_state` by dotted path; NotFoundError if no such user."""

    @abstractmethod
    async def set_preferences(self, user_id: str, changes: Mapping[str, Any]) -> Preferences:
        """Partially update preferences; returns the whole new preferences."""

    @abstractmethod
    async def append_choice(self, user_id: str, fragment_id: str, choice_id: str) -> UserDocument:
        """Record a choice in `narrative_progress.choices_made`."""

    @abstractmethod
    async def delete(self, user_id: str) -> bool:
        """Remove the user; False if there was none."""


class FragmentRepository(ABC):
    @abstractmethod
    async def get(self, fragment_id: str) -> NarrativeFragment | None: ...

    @abstractmethod
    async def upsert(self, fragment: NarrativeFragment) -> None: ...

    @abstractmethod
    async def list(self, limit: int = 100, offset: int = 0) -> list[NarrativeFragment]: ...


class ItemRepository(ABC):
    @abstractmethod
    async def get(self, item_id: str) -> Item | None: ...

    @abstractmethod
    async def upsert(self, item: Item) -> None: ...

    @abstractmethod
    async def list(self, limit: int = 100, offset: int = 0) -> list[Item]: ...


class DocumentStore(ABC):
    """A connected set of repositories over one backend."""

    name: str
    users: UserRepository
    fragments: FragmentRepository
    items: ItemRepository

    @abstractmethod
    async def connect(self) -> None:
        """Open connections and check the backend answers."""

    @abstractmethod
    async def ensure_schema(self) -> None:
        """Create collections, validators and unique indexes (idempotent)."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the backend does not answer."""

    @abstractmethod
    async def close(self) -> None: ...
