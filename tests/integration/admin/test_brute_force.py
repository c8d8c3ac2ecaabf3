"""A login brute force spread across many client addresses: the per-address limit never
trips, so the per-account limit must, and it must not lock out other operators."""

from __future__ import annotations

import httpx

from tests.integration.admin.conftest import (
    ACCOUNT_FAIL_LIMIT,
    CSRF,
    OPERATOR,
    PASSWORD,
    PanelEnv,
)


async def login_from(env: PanelEnv, address: str, username: str, password: str) -> int:
    transport = httpx.ASGITransport(app=env.app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://panel.test") as client:
        page = await client.get("/admin/login")
        match = CSRF.search(page.text)
        assert match, page.text
        r = await client.post("/admin/login", data={
            "username": username, "password": password, "csrf_token": match.group(1)})
        return r.status_code


async def test_distributed_guessing_locks_the_account_not_the_panel(panel: PanelEnv) -> None:
    statuses = [await login_from(panel, f"10.0.{i // 250}.{i % 250 + 1}", OPERATOR,
                                 f"guess number {i:04d}") for i in range(ACCOUNT_FAIL_LIMIT + 3)]
    # each address failed once (under the per-address limit), yet the account locks
    assert statuses[:ACCOUNT_FAIL_LIMIT] == [401] * ACCOUNT_FAIL_LIMIT
    assert statuses[ACCOUNT_FAIL_LIMIT:] == [429] * 3
    # the right password from a fresh address waits out the lock too: no oracle
    assert await login_from(panel, "192.0.2.77", OPERATOR, PASSWORD) == 429
    # another operator is not affected
    await panel.panel.context.accounts.add("segunda", "otra contraseña larga")
    assert await login_from(panel, "192.0.2.78", "segunda", "otra contraseña larga") == 303
