"""Content-pack sections of the economy (achievements, missions, trivia, levels) as JSON rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import utcnow
from yabot.domain.economy import section_json
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables import narrative_hints
from yabot.storage.sql.tables_economy import content_sections


async def upsert_section(conn: AsyncConnection, kind: str,
                         entries: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Insert or replace entries `(entry_id, data)` of one section, keeping pack order."""
    if not entries:
        return
    now = utcnow()
    stmt = insert_for(conn, content_sections)
    stmt = stmt.on_conflict_do_update(
        index_elements=[content_sections.c.kind, content_sections.c.entry_id],
        set_={"position": stmt.excluded.position, "data": stmt.excluded.data,
              "updated_at": stmt.excluded.updated_at})
    await conn.execute(stmt, [{"kind": kind, "entry_id": entry_id, "position": i,
                               "data": section_json(data), "updated_at": now}
                              for i, (entry_id, data) in enumerate(entries)])


async def stored_sections(conn: AsyncConnection) -> dict[tuple[str, str], str]:
    """(kind, entry_id) -> stored JSON, for every section entry."""
    rows = await conn.execute(sa.select(content_sections.c.kind, content_sections.c.entry_id,
                                        content_sections.c.data))
    return {(r.kind, r.entry_id): r.data for r in rows}


async def section(conn: AsyncConnection, kind: str) -> list[dict[str, Any]]:
    """The entries of one section, in pack order."""
    rows = await conn.execute(sa.select(content_sections.c.data)
                              .where(content_sections.c.kind == kind)
                              .order_by(content_sections.c.position, content_sections.c.entry_id))
    return [json.loads(r.data) for r in rows]


async def stored_hints(conn: AsyncConnection) -> dict[str, str]:
    """hint_id -> JSON of the stored hint (to tell added from changed)."""
    rows = await conn.execute(sa.select(narrative_hints))
    return {r.hint_id: section_json({"hint_id": r.hint_id, "fragment_id": r.fragment_id,
                                  "threshold": r.threshold, "text": r.text}) for r in rows}


async def hint_text(conn: AsyncConnection, hint_id: str) -> str | None:
    return (await conn.execute(sa.select(narrative_hints.c.text)
                               .where(narrative_hints.c.hint_id == hint_id))).scalar()


async def hint_fragment(conn: AsyncConnection, hint_id: str) -> str | None:
    """The fragment a hint belongs to (None: no such hint)."""
    return (await conn.execute(sa.select(narrative_hints.c.fragment_id)
                               .where(narrative_hints.c.hint_id == hint_id))).scalar()
