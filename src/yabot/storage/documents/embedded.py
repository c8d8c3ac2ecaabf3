"""Embedded document store: JSON documents in SQLite, for the zero-setup default.

Each update is one `json_set` statement, so nested and partial updates are atomic.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

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
from yabot.storage.sql.database import Database

M = TypeVar("M", bound=BaseModel)
_TABLES = {"users": "user_id", "narrative_fragments": "fragment_id", "items": "item_id"}


def _dump(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), separators=(",", ":"))


def _json_path(dotted: str) -> str:
    return "$." + ".".join(f'"{part}"' for part in dotted.split("."))


class _Collection:
    """One `doc_*` table. Each operation is one statement in one hop to SQLite's thread."""

    def __init__(self, db: Database, name: str) -> None:
        self.db, self.table, self.key = db, f"doc_{name}", _TABLES[name]

    async def one(self, sql: str, params: dict[str, Any], *, write: bool) -> Any:
        """Run one statement; the first column of its first row, or None."""
        def run(conn: sqlite3.Connection) -> Any:
            row = conn.execute(sql, params).fetchone()
            return None if row is None else row[0]
        return await self.db.run_sqlite(run, write=write)

    async def get(self, key: str, model: type[M]) -> M | None:
        doc = await self.one(f"SELECT doc FROM {self.table} WHERE id = :id", {"id": key},
                             write=False)
        return None if doc is None else model.model_validate_json(doc)

    async def upsert(self, key: str, doc: BaseModel) -> None:
        await self.one(f"INSERT INTO {self.table} (id, doc) VALUES (:id, :doc) "
                       "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                       {"id": key, "doc": _dump(doc)}, write=True)

    async def list(self, model: type[M], limit: int, offset: int) -> list[M]:
        check_page(limit, offset)
        sql = f"SELECT doc FROM {self.table} ORDER BY id LIMIT :limit OFFSET :offset"
        rows = await self.db.run_sqlite(
            lambda c: c.execute(sql, {"limit": limit, "offset": offset}).fetchall(), write=False)
        return [model.model_validate_json(r[0]) for r in rows]

    async def set_paths(self, key: str, values: Mapping[str, Any]) -> str:
        """Apply `json_set` for each dotted path, bump version; return the new document."""
        sets, params = [], {"id": key}
        for i, (path, value) in enumerate({**values, "updated_at": utcnow().isoformat()}.items()):
            sets.append(f"'{_json_path(path)}', json(:v{i})")
            params[f"v{i}"] = json.dumps(value, default=str)
        doc = await self.one(
            f"UPDATE {self.table} SET doc = json_set(doc, {', '.join(sets)}, "
            "'$.version', coalesce(json_extract(doc, '$.version'), 0) + 1) "
            "WHERE id = :id RETURNING doc", params, write=True)
        if doc is None:
            raise NotFoundError("user", key)
        return str(doc)


class EmbeddedUsers(UserRepository):
    def __init__(self, db: Database) -> None:
        self._c = _Collection(db, "users")

    async def create(self, user: UserDocument) -> UserDocument:
        try:
            await self._c.one("INSERT INTO doc_users (id, doc) VALUES (:id, :doc)",
                              {"id": user.user_id, "doc": _dump(user)}, write=True)
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"user {user.user_id!r} already exists") from exc
        return user

    async def get(self, user_id: str) -> UserDocument | None:
        return await self._c.get(user_id, UserDocument)

    # --- in a caller's transaction (documents in the same SQLite file as the tables) ---
    @staticmethod
    async def create_in(conn: AsyncConnection, user: UserDocument, *,
                        replace: bool = False) -> None:
        """Insert (or with `replace`, overwrite) the document inside `conn`'s transaction."""
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        doc = _dump(user)
        try:
            await Database.run_sqlite_on(conn, lambda c: c.execute(
                f"{verb} INTO doc_users (id, doc) VALUES (?, ?)", (user.user_id, doc)))
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"user {user.user_id!r} already exists") from exc

    @staticmethod
    async def delete_in(conn: AsyncConnection, user_id: str) -> bool:
        """Delete the document inside `conn`'s transaction; False if there was none."""
        removed: int = await Database.run_sqlite_on(conn, lambda c: c.execute(
            "DELETE FROM doc_users WHERE id = ?", (user_id,)).rowcount)
        return removed > 0

    @staticmethod
    def get_sync(conn: sqlite3.Connection, user_id: str) -> UserDocument | None:
        """Read on the driver's thread, e.g. in the same hop as a relational read."""
        row = conn.execute("SELECT doc FROM doc_users WHERE id = ?", (user_id,)).fetchone()
        return None if row is None else UserDocument.model_validate_json(row[0])

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
        path = "'$.current_state.narrative_progress.choices_made'"
        choice = json.dumps({"fragment": fragment_id, "choice": choice_id})
        doc = await self._c.one(
            f"UPDATE doc_users SET doc = json_set(doc, {path}, json_insert("
            f"coalesce(json_extract(doc, {path}), json('[]')), '$[#]', json(:choice)), "
            "'$.version', coalesce(json_extract(doc, '$.version'), 0) + 1, "
            "'$.updated_at', :now) WHERE id = :id RETURNING doc",
            {"id": user_id, "choice": choice, "now": utcnow().isoformat()}, write=True)
        if doc is None:
            raise NotFoundError("user", user_id)
        return UserDocument.model_validate_json(doc)

    async def delete(self, user_id: str) -> bool:
        deleted = await self._c.one("DELETE FROM doc_users WHERE id = :id RETURNING id",
                                    {"id": user_id}, write=True)
        return deleted is not None


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
            for name in _TABLES:
                await conn.execute(text(
                    f"CREATE TABLE IF NOT EXISTS doc_{name} "
                    "(id TEXT PRIMARY KEY, doc TEXT NOT NULL CHECK (json_valid(doc)))"))

    async def ping(self) -> None:
        await self._db.ping()

    async def close(self) -> None:
        if self._owns_db:
            await self._db.dispose()
