"""The es/en catalogs against the code: every text the code uses (Babel's extraction over
the sources and templates) is translated in both, nothing fuzzy or stale, same placeholders,
and the compiled .mo files say what the .po files say."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import yabot
from yabot.locales import CATALOG_DIR, LANGUAGES

ROOT = Path(__file__).resolve().parents[3]
DOMAINS = ("bot", "admin")  # domain X: the texts used under src/yabot/X (see the Makefile)
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")


def used_keys(domain: str) -> set[str]:
    with (ROOT / "babel.cfg").open() as fp:
        method_map, options_map = parse_mapping_cfg(fp)
    source = Path(yabot.__file__).parent / domain
    return {msgid for _, _, msgid, _, _ in extract_from_dir(source, method_map, options_map)
            if isinstance(msgid, str)}


def catalog(lang: str, domain: str) -> Catalog:
    with (CATALOG_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as fp:
        return read_po(fp, locale=lang, domain=domain)


def problems(used: set[str], po: Catalog) -> list[str]:
    """What is wrong with `po` for a code that uses `used`, one line per problem."""
    found = [f"{key}: no translation" for key in sorted(used)
             if key not in po or not po[key].string]
    found += [f"{m.id or '(header)'}: fuzzy" for m in [po[""], *po] if m is not None and
              m.fuzzy]
    found += [f"{m.id}: not used by the code (stale)" for m in po if m.id and m.id not in used]
    return found


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_the_code_uses_is_translated(domain: str, lang: str) -> None:
    used = used_keys(domain)
    assert len(used) > 20  # the extraction found the texts
    assert problems(used, catalog(lang, domain)) == [], \
        "fix the catalog, or run `make i18n-extract` (docs/architecture.md, Texts)"


def test_a_missing_or_fuzzy_message_is_reported() -> None:
    po = catalog("en", "bot")
    po["menu"].string = ""
    po["help"].flags.add("fuzzy")
    po.delete("welcome")
    assert problems(used_keys("bot") | {"new_text"}, po) == [
        "menu: no translation", "new_text: no translation", "welcome: no translation",
        "help: fuzzy"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_languages_use_the_same_placeholders(domain: str) -> None:
    es, en = catalog("es", domain), catalog("en", domain)
    differ = [m.id for m in es if m.id and m.id in en and
              sorted(PLACEHOLDER.findall(m.string)) != sorted(PLACEHOLDER.findall(en[m.id].string))]
    assert differ == []


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogs_are_up_to_date(domain: str, lang: str) -> None:
    path = CATALOG_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"
    assert path.is_file(), "the install step (setup.py build hook / make install) compiles them"
    with path.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    stale = [m.id for m in catalog(lang, domain) if m.id and
             compiled.gettext(m.id) != m.string]
    assert stale == [], "run `make install` to recompile the catalogs"
