"""The bot's texts: keys into the `bot` gettext catalogs (locales/<lang>/LC_MESSAGES/bot.po).

A new text: call `t("my_key", lang, name=...)`, run `make i18n-extract`, fill its msgstr in the
es and en catalogs. Spanish is the default; English for users whose preference is `en`.
"""

from __future__ import annotations

from functools import cache
from html import escape
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware

from yabot.locales import CATALOG_DIR, DEFAULT_LANGUAGE, LANGUAGES, N_, CatalogsMissing

DOMAIN = "bot"
__all__ = ["DEFAULT_LANGUAGE", "N_", "UserLanguageMiddleware", "catalogs", "language_of", "t"]


@cache
def catalogs() -> I18n:
    """The compiled es/en catalogs, read once per process on first use."""
    try:
        i18n = I18n(path=CATALOG_DIR, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)
    except RuntimeError as exc:  # a .po without its .mo
        raise CatalogsMissing(f"{exc} Run `make install` (or `pip install .`).") from exc
    missing = set(LANGUAGES) - set(i18n.available_locales)
    if missing:
        raise CatalogsMissing(f"no compiled {DOMAIN}.mo for {sorted(missing)} in {CATALOG_DIR}; "
                              "run `make install` (or `pip install .`)")
    return i18n


def language_of(preference: str | None) -> str:
    return "en" if (preference or "").lower().startswith("en") else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The text for `key` in `lang` (default: the language of the update being handled, else
    Spanish), its `{name}` fields filled with the HTML-escaped values."""
    i18n = catalogs()
    locale = i18n.current_locale if lang is None else lang
    text = i18n.gettext(key, locale=locale if locale in LANGUAGES else DEFAULT_LANGUAGE)
    return text.format(**{k: escape(str(v)) for k, v in values.items()})


class UserLanguageMiddleware(I18nMiddleware):
    """Handles the update in the user's language (`lang`, from UserContextMiddleware), so
    `t(key)` without a language speaks it."""

    def __init__(self) -> None:
        super().__init__(catalogs())

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        lang = data.get("lang")
        return lang if isinstance(lang, str) and lang in LANGUAGES else DEFAULT_LANGUAGE
