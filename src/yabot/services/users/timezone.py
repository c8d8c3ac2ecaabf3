"""A user's timezone: `preferences.timezone` from their document, else the default."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from yabot.domain.days import zone
from yabot.storage.documents.base import DocumentStore


async def user_zone(documents: DocumentStore, user_id: str, default: str) -> ZoneInfo:
    """The user's timezone (`preferences.timezone`), else the default."""
    doc = await documents.users.get(user_id)
    name = getattr(doc.preferences, "timezone", None) if doc is not None else None
    return zone(name if isinstance(name, str) else None, default)
