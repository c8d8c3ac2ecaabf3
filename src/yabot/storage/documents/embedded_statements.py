"""The embedded document store's tables and statements (SQLAlchemy Core, SQLite's JSON1).

Each update is one `json_set` statement, so nested and partial updates are atomic.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.base import Executable

from yabot.storage.sql.dialect import dialect_insert

_KEYS = {"users": "user_id", "narrative_fragments": "fragment_id", "items": "item_id"}
# in their own MetaData: created by `ensure_schema`, not by the relational migrations
documents = sa.MetaData()
TABLES = {name: sa.Table(f"doc_{name}", documents,
                         sa.Column("id", sa.Text, primary_key=True),
                         sa.Column("doc", sa.Text, nullable=False),
                         sa.CheckConstraint("json_valid(doc)"))
          for name in _KEYS}
_VERSION = sa.literal("$.version")


def _bumped(t: sa.Table) -> sa.ColumnElement[Any]:
    """The document's version plus one (0 when it has none)."""
    return sa.func.coalesce(sa.func.json_extract(t.c.doc, _VERSION), 0) + 1


@functools.cache
def statements(name: str) -> dict[str, Executable]:
    """The fixed statements of one `doc_*` table (parameters `key`, `body`, ...)."""
    t = TABLES[name]
    key: sa.BindParameter[str] = sa.bindparam("key")
    body: sa.BindParameter[str] = sa.bindparam("body")
    upsert = dialect_insert(t, "sqlite").values(id=key, doc=body)
    return {
        "get": sa.select(t.c.doc).where(t.c.id == key),
        "list": (sa.select(t.c.doc).order_by(t.c.id).limit(sa.bindparam("limit"))
                 .offset(sa.bindparam("offset"))),
        "insert": t.insert().values(id=key, doc=body),
        "upsert": upsert.on_conflict_do_update(index_elements=[t.c.id],
                                               set_={"doc": upsert.excluded.doc}),
        "delete": t.delete().where(t.c.id == key).returning(t.c.id),
    }


@functools.lru_cache(maxsize=64)
def set_paths(name: str, count: int) -> Executable:
    """`json_set` of `count` paths (`p0`, `v0`, ...) plus the version, returning the doc."""
    t = TABLES[name]
    pairs: list[Any] = []
    for i in range(count):
        pairs += [sa.bindparam(f"p{i}"), sa.func.json(sa.bindparam(f"v{i}"))]
    return (t.update().where(t.c.id == sa.bindparam("key"))
            .values(doc=sa.func.json_set(t.c.doc, *pairs, _VERSION, _bumped(t)))
            .returning(t.c.doc))


def _append_choice() -> Executable:
    """Append `choice` to the user's choices, bump the version, set `updated_at`."""
    t = TABLES["users"]
    path = sa.literal("$.current_state.narrative_progress.choices_made")
    choices = sa.func.coalesce(sa.func.json_extract(t.c.doc, path),
                               sa.func.json(sa.literal("[]")))
    appended = sa.func.json_insert(choices, sa.literal("$[#]"),
                                   sa.func.json(sa.bindparam("choice")))
    return (t.update().where(t.c.id == sa.bindparam("key"))
            .values(doc=sa.func.json_set(t.c.doc, path, appended, _VERSION, _bumped(t),
                                         sa.literal("$.updated_at"), sa.bindparam("now")))
            .returning(t.c.doc))


APPEND_CHOICE = _append_choice()
