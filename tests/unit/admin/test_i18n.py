"""The panel's templates through Jinja2's i18n extension: one environment per language,
values escaped, the Spanish catalog by default."""

from __future__ import annotations

import jinja2

from yabot.admin.i18n import localized_environments


def test_each_language_renders_its_catalog_and_escapes_values() -> None:
    envs = localized_environments(jinja2.PackageLoader("yabot.admin", "templates"), {})
    assert sorted(envs) == ["en", "es"]
    page = "{{ _('page', page=1, pages=2, total=3) }} · {{ _('delete_confirm', user=who) }}"
    es = envs["es"].from_string(page).render(who="<b>x</b>")
    en = envs["en"].from_string(page).render(who="<b>x</b>")
    assert es.startswith("Página 1 de 2 (3 en total) · ¿Eliminar al usuario &lt;b&gt;x&lt;/b&gt;?")
    assert en.startswith("Page 1 of 2 (3 in all) · Delete user &lt;b&gt;x&lt;/b&gt;?")
    shown = envs["en"].get_template("message.html").render(
        message_key="error_not_found", base="/admin", lang="en", operator=None, csrf_token="",
        path="/admin/x")
    assert "Not found." in shown and "Back" in shown
