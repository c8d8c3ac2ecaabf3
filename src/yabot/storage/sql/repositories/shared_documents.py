"""Document writes inside a relational transaction, for the embedded default.

When the embedded document store lives in the same SQLite database as the relational
tables, a document change and its outbox event share one commit: these statements write
the `doc_*` tables (the JSON shape `EmbeddedDocumentStore` reads) on the caller's connection.
The container builds this only when `EmbeddedDocumentStore.shares()` the relational store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from yabot.domain.clock import utcnow
from yabot.domain.models import Item, NarrativeFragment, UserDocument
from yabot.storage.documents.embedded import EmbeddedUsers
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.base import Transaction


def _doc_table(name: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.String), sa.column("doc", sa.Text))


_USERS = _doc_table("doc_users")
_FRAGMENTS = _doc_table("doc_narrative_fragments")
_ITEMS = _doc_table("doc_items")


def _dump(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), separators=(",", ":"))


class SharedDocumentWrites:
    """Implements the `SharedDocuments` ports of `services.users` and `services.narrative`."""

    async def create_user(self, tx: Transaction, user: UserDocument, *,
                          replace: bool = False) -> None:
        await EmbeddedUsers.create_in(tx.conn, user, replace=replace)

    async def create_users(self, tx: Transaction, user_ids: Sequence[str]) -> None:
        """New users' documents in one statement (an existing one is overwritten)."""
        await EmbeddedUsers.create_many_in(tx.conn, user_ids)

    async def delete_user(self, tx: Transaction, user_id: str) -> bool:
        return await EmbeddedUsers.delete_in(tx.conn, user_id)

    async def upsert_fragment(self, tx: Transaction, fragment: NarrativeFragment) -> None:
        await self._upsert(tx, _FRAGMENTS, fragment.fragment_id, fragment)

    async def upsert_item(self, tx: Transaction, item: Item) -> None:
        await self._upsert(tx, _ITEMS, item.item_id, item)

    @staticmethod
    async def _upsert(tx: Transaction, table: sa.TableClause, key: str, doc: BaseModel) -> None:
        stmt = insert_for(tx.conn, table).values(id=key, doc=_dump(doc))  # type: ignore[arg-type]
        await tx.conn.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                                         set_={"doc": stmt.excluded.doc}))

    async def set_user_state(self, tx: Transaction, user_id: str, values: Mapping[str, Any], *,
                             expect_version: int | None = None) -> UserDocument | None:
        """Set top-level `current_state` keys of a user document and bump its version; None
        when the user is missing or (with `expect_version`) changed since it was read."""
        version = sa.func.coalesce(sa.func.json_extract(_USERS.c.doc, "$.version"), 0)
        paths: list[Any] = []
        for key, value in values.items():
            if not key.isidentifier():
                raise ValueError(f"invalid state key {key!r}")
            paths += [f'$.current_state."{key}"', sa.func.json(json.dumps(value, default=str))]
        paths += ["$.version", version + 1, "$.updated_at", utcnow().isoformat()]
        stmt = (_USERS.update().where(_USERS.c.id == user_id)
                .values(doc=sa.func.json_set(_USERS.c.doc, *paths)).returning(_USERS.c.doc))
        if expect_version is not None:
            stmt = stmt.where(version == expect_version)
        row = (await tx.conn.execute(stmt)).first()
        return None if row is None else UserDocument.model_validate_json(row[0])
