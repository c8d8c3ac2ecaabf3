"""Panel texts: keys into the `admin` gettext catalogs (locales/<lang>/LC_MESSAGES/admin.po),
rendered through Jinja2's i18n extension (`{{ _('key', name=value) }}`, `%(name)s` fields).
Spanish by default, English when the browser prefers it (Accept-Language)."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from typing import Any

import jinja2

from yabot.locales import DEFAULT_LANGUAGE, LANGUAGES, N_, load_translations

DOMAIN = "admin"
__all__ = ["N_", "catalogs", "localized_environments", "pick_language", "translator"]


# keys the templates build from a value (`_('source_' ~ source)`, ...), listed for extraction
BUILT_IN_TEMPLATES = (
    N_("source_reaction"), N_("source_story"), N_("source_daily_gift"), N_("source_mission"),
    N_("source_achievement"), N_("source_trivia"), N_("source_purchase"),
    N_("source_auction"), N_("source_other"),
    N_("auction_status_open"), N_("auction_status_closed"),
    N_("mission_active"), N_("mission_completed"), N_("mission_expired"),
    N_("paid"), N_("refunded"),  # payments_table.html: _(pay.status)
    N_("segment_all"), N_("segment_vip"), N_("segment_free"),  # broadcasts.html
)


@cache
def catalogs() -> dict[str, gettext.GNUTranslations]:
    """The compiled es/en catalogs, read once per process on first use."""
    return load_translations(DOMAIN)


def localized_environments(loader: jinja2.BaseLoader,
                           filters: dict[str, Callable[..., Any]]) -> dict[str, jinja2.Environment]:
    """One autoescaping template environment per language, its catalog installed."""
    environments: dict[str, jinja2.Environment] = {}
    for lang, catalog in catalogs().items():
        env = jinja2.Environment(loader=loader, autoescape=True, extensions=["jinja2.ext.i18n"],
                                 undefined=jinja2.StrictUndefined)
        env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(filters)
        environments[lang] = env
    return environments


def pick_language(accept_language: str | None) -> str:
    """The first of es/en the browser ranks highest (q-values); Spanish otherwise."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= position * 1e-6  # ties: the earlier tag wins
        if q > best_q and q > 0:
            best, best_q = primary, q
    return best


def translator(language: str) -> Callable[..., str]:
    """`t(key, **values)` outside templates, in `language` (Spanish when unknown)."""
    catalog = catalogs().get(language) or catalogs()[DEFAULT_LANGUAGE]

    def t(key: str, **values: Any) -> str:
        return catalog.gettext(key) % values

    return t
