"""The one UTC helper: the current time, and stored datetimes read back as aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Drivers hand back naive datetimes (SQLite) or other zones: make them aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    """`as_utc` for a column that may be empty."""
    return None if value is None else as_utc(value)
