"""The gettext catalogs of the bot (`bot` domain) and the panel (`admin`), Spanish and English.

`<lang>/LC_MESSAGES/<domain>.po` are the sources; the `.mo` files next to them are built by
the install step (`make install`, `pip install .`), never committed.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DEFAULT_LANGUAGE = "es"
LANGUAGES = ("es", "en")
CATALOG_DIR = Path(__file__).resolve().parent


def N_(key: str) -> str:  # gettext's name for "mark for extraction only"
    """Mark a key chosen at run time (from a mapping, a flash, an error page) for extraction."""
    return key


class CatalogsMissing(RuntimeError):
    """A `.mo` file is missing: the package was not installed through its build step."""


def load_translations(domain: str) -> dict[str, gettext.GNUTranslations]:
    """Every language's compiled catalog of `domain`; CatalogsMissing when one is absent."""
    found: dict[str, gettext.GNUTranslations] = {}
    for lang in LANGUAGES:
        path = CATALOG_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"
        if not path.is_file():
            raise CatalogsMissing(f"{path} is missing: the catalogs are compiled at install "
                                  "time; run `make install` (or `pip install .`)")
        with path.open("rb") as fp:
            found[lang] = gettext.GNUTranslations(fp)
    return found
