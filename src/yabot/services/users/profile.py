"""The profile fields a user may change, the registration event and the profile view."""

from __future__ import annotations

from yabot.domain.clock import as_utc_or_none
from yabot.domain.events import UserRegistered, UserRegisteredPayload
from yabot.domain.views import Profile, TelegramUser
from yabot.storage.sql.profiles import ProfileRecord

PROFILE_FIELDS = ("username", "first_name", "last_name", "language_code")


def profile_values(tg: TelegramUser) -> dict[str, str | None]:
    """The profile fields of a Telegram user."""
    return {name: getattr(tg, name) for name in PROFILE_FIELDS}


def registered_event(tg: TelegramUser) -> UserRegistered:
    return UserRegistered(user_id=str(tg.id), payload=UserRegisteredPayload(
        telegram_user_id=tg.id, **profile_values(tg)))


def profile_view(record: ProfileRecord) -> Profile:
    return Profile(
        user_id=record.user_id, telegram_user_id=record.telegram_user_id,
        username=record.username, first_name=record.first_name, last_name=record.last_name,
        language_code=record.language_code,
        registration_date=as_utc_or_none(record.registration_date),
        last_activity=as_utc_or_none(record.last_activity), is_active=record.is_active)
