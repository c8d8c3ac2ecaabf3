"""Local days: a timezone by name (with a fallback), the day an instant falls on and its
bounds in UTC, the start of the week. Pure date logic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yabot.domain.clock import as_utc


@dataclass(frozen=True)
class LocalDay:
    day: date
    start: datetime  # UTC
    end: datetime  # UTC, exclusive

    @property
    def key(self) -> str:
        return self.day.isoformat()


def zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def local_day(at: datetime, tz: ZoneInfo) -> LocalDay:
    """The day `at` falls on in `tz`, with its start and end in UTC."""
    day = as_utc(at).astimezone(tz).date()
    return day_bounds(day, tz)


def day_bounds(day: date, tz: ZoneInfo) -> LocalDay:
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return LocalDay(day=day, start=as_utc(start), end=as_utc(end))


def week_start(at: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 of `at`'s week in `tz`, in UTC."""
    day = as_utc(at).astimezone(tz).date()
    return day_bounds(day - timedelta(days=day.weekday()), tz).start
