"""What the pages show and how they are served: headers, escaping, language, paging."""

from __future__ import annotations

import re

from tests.integration.admin.conftest import PanelEnv
from yabot.admin.guards import CSP

HOSTILE = "<script>alert(1)</script>"


async def test_pages_set_a_strict_content_security_policy(panel: PanelEnv) -> None:
    login = await panel.client.get("/admin/login")
    await panel.login()
    for r in (login, await panel.client.get("/admin/"), await panel.client.get("/admin/users")):
        csp = r.headers["content-security-policy"]
        assert csp == CSP
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text)  # nothing remote
        assert "<script>" not in r.text and " style=" not in r.text  # no inline code


async def test_static_assets_are_served_locally(panel: PanelEnv) -> None:
    css = await panel.client.get("/admin/static/admin.css")
    js = await panel.client.get("/admin/static/admin.js")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]


async def test_a_hostile_first_name_is_escaped(panel: PanelEnv) -> None:
    user = await panel.register(601, first_name=HOSTILE)
    await panel.login()
    for path in (f"/admin/users/{user}", "/admin/users?q=601"):
        text = (await panel.client.get(path)).text
        assert HOSTILE not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


async def test_search_reflects_the_query_escaped(panel: PanelEnv) -> None:
    await panel.login()
    text = (await panel.client.get("/admin/users", params={"q": '"><img src=x>'})).text
    assert "<img src=x>" not in text and "&#34;&gt;&lt;img src=x&gt;" in text


async def test_users_are_searched_and_paginated(panel_any: PanelEnv) -> None:
    panel = panel_any
    for i in range(5):
        await panel.register(700 + i, username=f"maria{i}")
    await panel.register(799, username="pedro")
    await panel.login()
    by_name = (await panel.client.get("/admin/users", params={"q": "@Maria"})).text
    assert by_name.count('href="/admin/users/70') == 5 and "pedro" not in by_name
    by_id = (await panel.client.get("/admin/users", params={"q": "799"})).text
    assert 'href="/admin/users/799"' in by_id and "maria" not in by_id
    page1 = (await panel.client.get("/admin/users", params={"size": "4"})).text
    page2 = (await panel.client.get("/admin/users", params={"size": "4", "page": "2"})).text
    assert page1.count('<tr><td><a href="/admin/users/') == 4
    assert page2.count('<tr><td><a href="/admin/users/') == 2
    huge = await panel.client.get("/admin/users", params={"size": "100000"})
    assert huge.status_code == 200  # clamped to the largest page size
    rows, total = await panel.panel.context.queries.search_users("", page_size=100000)
    assert total == 6 and len(rows) == 6


async def test_dashboard_shows_totals_chart_health_and_audit(panel_any: PanelEnv) -> None:
    panel = panel_any
    user = await panel.register(801)
    await panel.services.domain.besitos.award(user, 40, "test", "dash-1")
    await panel.services.domain.subscriptions.set_plan(user, "vip")
    await panel.login()
    text = (await panel.client.get("/admin/")).text
    assert 'id="stat-users">1<' in text and 'id="stat-new">1<' in text
    assert 'id="stat-vip">1<' in text and 'id="stat-besitos">40<' in text
    assert 'id="stat-dead">0<' in text and 'id="stat-backlog">' in text
    assert '<svg id="events-chart"' in text and text.count("<rect ") == 60
    assert "sqlite" in text or "postgresql" in text  # component health
    assert ">login<" in text  # the audit of this very login
    counts = await panel.panel.context.queries.events_per_minute()
    assert len(counts) == 60 and sum(counts) >= 3  # registered, awarded, subscription


async def test_english_when_the_browser_asks(panel: PanelEnv) -> None:
    es = (await panel.client.get("/admin/login")).text
    en = (await panel.client.get("/admin/login", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert "Contraseña" in es and 'lang="es"' in es
    assert "Password" in en.text and 'lang="en"' in en.text
    fr = (await panel.client.get("/admin/login", headers={"Accept-Language": "fr, es;q=0.5"}))
    assert 'lang="es"' in fr.text


async def test_event_log_filters(panel: PanelEnv) -> None:
    a, b = await panel.register(901), await panel.register(902)
    await panel.services.domain.besitos.award(a, 3, "x", "ev-1")
    await panel.login()
    only_a = (await panel.client.get("/admin/events", params={"user": a})).text
    assert f'href="/admin/users/{a}"' in only_a and f'href="/admin/users/{b}"' not in only_a
    awards = (await panel.client.get("/admin/events", params={"type": "besitos_awarded"})).text
    assert "besitos_awarded" in awards and "user_registered" not in awards
