"""Log in, redirects, cookie flags, CSRF on the login form, the failed-login limit, expiry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.admin.conftest import OPERATOR, PanelEnv, close_panel, open_panel
from yabot.settings import AdminSettings, StorageSettings


@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/users/42",
                                  "/admin/events", "/admin/content", "/admin/audit",
                                  "/admin/no-such-page"])
async def test_unauthenticated_pages_redirect_to_login(panel: PanelEnv, path: str) -> None:
    r = await panel.client.get(path)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/login"


async def test_bare_admin_path_leads_to_login(panel: PanelEnv) -> None:
    r = await panel.client.get("/admin", follow_redirects=True)
    assert r.status_code == 200
    assert str(r.url).endswith("/admin/login")
    assert 'name="username"' in r.text and 'name="password"' in r.text
    assert 'type="hidden" name="csrf_token"' in r.text


async def test_login_sets_a_strict_http_only_cookie(panel: PanelEnv) -> None:
    r = await panel.login()
    assert r.status_code == 303 and r.headers["location"] == "/admin/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("yabot_admin="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/admin" in flags
    assert "secure" not in flags  # plain HTTP
    page = await panel.client.get("/admin/")
    assert page.status_code == 200 and OPERATOR in page.text
    audit = await panel.panel.context.accounts.recent_audit()
    assert [(a.username, a.action) for a in audit] == [(OPERATOR, "login")]


async def test_cookie_is_secure_under_tls(tmp_path: Path) -> None:
    env = await open_panel(StorageSettings(sqlite_database_path=tmp_path / "y.db"),
                           base_url="https://panel.test")
    try:
        r = await env.login()
        cookie = next(c for c in r.headers.get_list("set-cookie")
                      if c.startswith("yabot_admin="))
        assert "secure" in cookie.lower()
    finally:
        await close_panel(env)


async def test_login_without_csrf_token_is_refused(panel: PanelEnv) -> None:
    await panel.client.get("/admin/login")
    r = await panel.client.post("/admin/login", data={"username": OPERATOR,
                                                      "password": "correct horse battery staple"})
    assert r.status_code == 403
    assert (await panel.client.get("/admin/")).status_code == 303  # not logged in


async def test_wrong_password_is_refused_then_rate_limited(panel: PanelEnv) -> None:
    for _ in range(3):  # FAIL_LIMIT failures are answered 401
        r = await panel.login(password="wrong password!!")
        assert r.status_code == 401
        assert "yabot_admin=" not in r.headers.get("set-cookie", "").split(";")[0]
    blocked = await panel.login(password="wrong password!!")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    again = await panel.login()  # even the right password waits out the block
    assert again.status_code == 429
    assert (await panel.client.get("/admin/")).status_code == 303


async def test_unknown_operator_is_refused(panel: PanelEnv) -> None:
    assert (await panel.login(username="mallory")).status_code == 401


async def test_session_expires(panel: PanelEnv) -> None:
    await panel.login()
    assert (await panel.client.get("/admin/")).status_code == 200
    panel.clock.advance(panel.panel.context.accounts.session_ttl + timedelta(seconds=1))
    r = await panel.client.get("/admin/")
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"


async def test_logout_ends_the_session(panel: PanelEnv) -> None:
    await panel.login()
    r = await panel.post("/admin/logout", {})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert (await panel.client.get("/admin/")).status_code == 303


async def test_removing_the_operator_ends_its_sessions(panel: PanelEnv) -> None:
    await panel.login()
    await panel.panel.context.accounts.remove(OPERATOR)
    assert (await panel.client.get("/admin/")).status_code == 303


async def test_forged_cookie_is_not_a_session(panel: PanelEnv) -> None:
    panel.client.cookies.set("yabot_admin", "made-up-token.bad-signature", path="/admin")
    assert (await panel.client.get("/admin/")).status_code == 303


async def test_cookie_is_secure_behind_a_tls_proxy_when_configured(tmp_path: Path) -> None:
    storage = StorageSettings(sqlite_database_path=tmp_path / "y.db")
    env = await open_panel(storage, admin=AdminSettings(secure_cookie=True,
                                                        session_secret=None))
    try:
        r = await env.client.get("/admin/login")  # plain HTTP, as behind the proxy
        cookie = r.headers["set-cookie"].lower()
        assert cookie.startswith("yabot_admin_login=") and "secure" in cookie
    finally:
        await close_panel(env)
