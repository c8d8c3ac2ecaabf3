"""Embedded document store: JSON documents in SQLite, for the zero-setup default.

Each update is one `json_set` statement, so nested and partial updates are atomic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

from yabot.domain.clock import utcnow
from yabot.domain.errors import ConflictError, NotFoundError
from yabot.domain.models import (
    Item,
    NarrativeFragment,
    Preferences,
    UserDocument,
)
from yabot.storage.documents.base import (
    PREFERENCE_KEY,
    DocumentStore,
    FragmentRepository,
    ItemRepository,
    UserRepository,
    check_page,
    check_paths,
)
from yabot.storage.documents.embedded_statements import (
    APPEND_CHOICE,
    documents,
    set_paths,
    statements,
)
from yabot.storage.sql.database import Database, execute

M = TypeVar("M", bound=BaseModel)


def _dump(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), separators=(",", ":"))


def _json_path(dotted: str) -> str:
    return "$." + ".".join(f'"{part}"' for part in dotted.split("."))


class _Collection:
    """One `doc_*` table. Each operation is one statement in one hop to SQLite's thread."""

    def __init__(self, db: Database, name: str) -> None:
        self.db, self.name, self.sql = db, name, statements(name)

    async def write(self, statement: Executable, values: dict[str, Any]) -> Any:
        """Run one statement in its own transaction; the first column of its first row."""
        return await self.db.transaction(lambda s: s.execute(statement, values).scalar())

    async def get(self, key: str, model: type[M]) -> M | None:
        doc = (await self.db.fetch(self.sql["get"], {"key": key})).scalar()
        return None if doc is None else model.model_validate_json(doc)

    async def upsert(self, key: str, doc: BaseModel) -> None:
        await self.write(self.sql["upsert"], {"key": key, "body": _dump(doc)})

    async def list(self, model: type[M], limit: int, offset: int) -> list[M]:
        check_page(limit, offset)
        found = await self.db.fetch(self.sql["list"], {"limit": limit, "offset": offset})
        return [model.model_validate_json(doc) for doc in found.scalars()]

    async def set_paths(self, key: str, values: Mapping[str, Any]) -> str:
        """Apply `json_set` for each dotted path, bump version; return the new document."""
        params: dict[str, Any] = {"key": key}
        changes = {**values, "updated_at": utcnow().isoformat()}
        for i, (path, value) in enumerate(changes.items()):
            params[f"p{i}"] = _json_path(path)
            params[f"v{i}"] = json.dumps(value, default=str)
        doc = await self.write(set_paths(self.name, len(changes)), params)
        if doc is None:
            raise NotFoundError("user", key)
        return str(doc)


class EmbeddedUsers(UserRepository):
    def __init__(self, db: Database) -> None:
        self._c = _Collection(db, "users")

    async def create(self, user: UserDocument) -> UserDocument:
        try:
            await self._c.write(self._c.sql["insert"],
                                {"key": user.user_id, "body": _dump(user)})
        except IntegrityError as exc:
            raise ConflictError(f"user {user.user_id!r} already exists") from exc
        return user

    async def get(self, user_id: str) -> UserDocument | None:
        return await self._c.get(user_id, UserDocument)

    # --- in a caller's transaction (documents in the same SQLite file as the tables) ---
    @staticmethod
    async def create_in(conn: AsyncConnection, user: UserDocument, *,
                        replace: bool = False) -> None:
        """Insert (or with `replace`, overwrite) the document inside `conn`'s transaction."""
        sql = statements("users")
        values = {"key": user.user_id, "body": _dump(user)}
        try:
            await execute(conn, sql["upsert" if replace else "insert"], values)
        except IntegrityError as exc:
            raise ConflictError(f"user {user.user_id!r} already exists") from exc

    @staticmethod
    async def create_many_in(conn: AsyncConnection, user_ids: Sequence[str]) -> None:
        """`create_in(UserDocument(user_id=...), replace=True)` for many new users, in one
        statement: the default document is built and dumped once (one creation time)."""
        if not user_ids:
            return
        new = UserDocument(user_id="").model_dump(mode="json")
        await conn.execute(statements("users")["upsert"], [
            {"key": u, "body": json.dumps({**new, "user_id": u}, separators=(",", ":"))}
            for u in user_ids])

    @staticmethod
    async def delete_in(conn: AsyncConnection, user_id: str) -> bool:
        """Delete the document inside `conn`'s transaction; False if there was none."""
        removed = await execute(conn, statements("users")["delete"], {"key": user_id})
        return bool(removed.rows)

    async def update_state(self, user_id: str, changes: Mapping[str, Any]) -> UserDocument:
        check_paths(changes)
        paths = {f"current_state.{k}": v for k, v in changes.items()}
        doc = await self._c.set_paths(user_id, paths)
        return UserDocument.model_validate_json(doc)

    async def set_preferences(self, user_id: str, changes: Mapping[str, Any]) -> Preferences:
        check_paths(changes, PREFERENCE_KEY)
        doc = await self._c.set_paths(user_id, {f"preferences.{k}": v for k, v in changes.items()})
        return UserDocument.model_validate_json(doc).preferences

    async def append_choice(self, user_id: str, fragment_id: str, choice_id: str) -> UserDocument:
        choice = json.dumps({"fragment": fragment_id, "choice": choice_id})
        doc = await self._c.write(APPEND_CHOICE, {"key": user_id, "choice": choice,
                                                   "now": utcnow().isoformat()})
        if doc is None:
            raise NotFoundError("user", user_id)
        return UserDocument.model_validate_json(doc)

    async def delete(self, user_id: str) -> bool:
        return await self._c.write(self._c.sql["delete"], {"key": user_id}) is not None


class EmbeddedFragments(FragmentRepository):
    def __init__(self, db: Database) -> None:
        self._c = _Collection(db, "narrative_fragments")

    async def get(self, fragment_id: str) -> NarrativeFragment | None:
        return await self._c.get(fragment_id, NarrativeFragment)

    async def upsert(self, fragment: NarrativeFragment) -> None:
        await self._c.upsert(fragment.fragment_id, fragment)

    async def list(self, limit: int = 100, offset: int = 0) -> list[NarrativeFragment]:
        return await self._c.list(NarrativeFragment, limit, offset)


class EmbeddedItems(ItemRepository):
    def __init__(self, db: Database) -> None:
        self._c = _Collection(db, "items")

    async def get(self, item_id: str) -> Item | None:
        return await self._c.get(item_id, Item)

    async def upsert(self, item: Item) -> None:
        await self._c.upsert(item.item_id, item)

    async def list(self, limit: int = 100, offset: int = 0) -> list[Item]:
        return await self._c.list(Item, limit, offset)


class EmbeddedDocumentStore(DocumentStore):
    """Stores documents in the SQLite file given by SQLITE_DATABASE_PATH."""

    name = "embedded"

    def __init__(self, db: Database, *, owns_db: bool = False) -> None:
        self._db, self._owns_db = db, owns_db
        self.users = EmbeddedUsers(db)
        self.fragments = EmbeddedFragments(db)
        self.items = EmbeddedItems(db)

    @property
    def db(self) -> Database:
        return self._db

    def shares(self, db: Database) -> bool:
        """True when the documents live in `db` itself, so one transaction covers both."""
        return self._db is db

    async def connect(self) -> None:
        await self._db.ping()

    async def ensure_schema(self) -> None:
        async with self._db.write() as conn:
            await conn.run_sync(documents.create_all)

    async def ping(self) -> None:
        await self._db.ping()

    async def close(self) -> None:
        if self._owns_db:
            await self._db.dispose()
