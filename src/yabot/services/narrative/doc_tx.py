"""Document writes inside a relational transaction, for the embedded default.

When the embedded document store lives in the same SQLite database as the relational
tables, a document change and its outbox event can share one commit: these helpers write
the `doc_*` tables (same JSON shape as `EmbeddedDocumentStore`) on the caller's connection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import utcnow
from yabot.domain.models import UserDocument
from yabot.storage.documents.embedded import EmbeddedDocumentStore
from yabot.storage.manager import DatabaseManager

_COLLECTIONS = {"narrative_fragments": "doc_narrative_fragments", "items": "doc_items"}


def shares_sql(stores: DatabaseManager) -> bool:
    """True when documents and relational tables are one SQLite database (one commit)."""
    docs = stores.documents
    return isinstance(docs, EmbeddedDocumentStore) and getattr(docs, "_db", None) is stores.sql


def _dump(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), separators=(",", ":"))


async def upsert(conn: AsyncConnection, collection: str, key: str, doc: BaseModel) -> None:
    table = _COLLECTIONS[collection]
    await conn.execute(text(f"INSERT INTO {table} (id, doc) VALUES (:id, :doc) "  # noqa: S608
                            "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"),
                       {"id": key, "doc": _dump(doc)})


async def set_user_state(conn: AsyncConnection, user_id: str, values: Mapping[str, Any], *,
                         expect_version: int | None = None) -> UserDocument | None:
    """Set top-level `current_state` keys of a user document and bump its version; None
    when the user is missing or (with `expect_version`) changed since it was read."""
    sets: list[str] = []
    params: dict[str, Any] = {"id": user_id, "now": utcnow().isoformat()}
    for i, (key, value) in enumerate(values.items()):
        if not key.isidentifier():
            raise ValueError(f"invalid state key {key!r}")
        sets.append(f"'$.current_state.\"{key}\"', json(:v{i})")
        params[f"v{i}"] = json.dumps(value, default=str)
    where = "id = :id"
    if expect_version is not None:
        where += " AND coalesce(json_extract(doc, '$.version'), 0) = :version"
        params["version"] = expect_version
    row = (await conn.execute(text(
        f"UPDATE doc_users SET doc = json_set(doc, {', '.join(sets)}, "  # noqa: S608
        "'$.version', coalesce(json_extract(doc, '$.version'), 0) + 1, '$.updated_at', :now) "
        f"WHERE {where} RETURNING doc"), params)).first()
    return None if row is None else UserDocument.model_validate_json(row[0])
