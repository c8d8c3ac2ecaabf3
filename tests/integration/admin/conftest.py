"""The admin panel mounted under /admin on the real app over real stores, driven by httpx.

`panel` runs on the embedded default; `panel_any` also on PostgreSQL + embedded documents.
The clock of the account service is a `FakeClock`, so session expiry needs no waiting."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.integration.api.conftest import make_settings
from tests.integration.services.conftest import storage_settings
from yabot.admin.panel import AdminPanel, build_admin_panel
from yabot.api.app import create_app
from yabot.api.auth import Authenticator, build_authenticator
from yabot.core import Core, start_core, stop_core
from yabot.domain.views import TelegramUser
from yabot.security.auth_failures import MemoryFailureLimiter
from yabot.settings import AdminSettings, StorageSettings
from yabot.storage.sql.tables import event_log

OPERATOR, PASSWORD = "alice", "correct horse battery staple"
FAIL_LIMIT = 3
ACCOUNT_FAIL_LIMIT = 5
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass(kw_only=True)
class PanelEnv:
    client: httpx.AsyncClient
    services: Core
    panel: AdminPanel
    auth: Authenticator
    clock: FakeClock
    app: FastAPI

    async def csrf(self, path: str = "/admin/") -> str:
        page = await self.client.get(path)
        match = CSRF.search(page.text)
        assert match, f"no csrf_token on {path}: {page.status_code}"
        return match.group(1)

    async def login(self, username: str = OPERATOR, password: str = PASSWORD,
                    **headers: str) -> httpx.Response:
        token = await self.csrf("/admin/login")
        return await self.client.post("/admin/login", headers=headers, data={
            "username": username, "password": password, "csrf_token": token})

    async def post(self, path: str, data: dict[str, Any], *, page: str | None = None,
                   **kwargs: Any) -> httpx.Response:
        """A form POST carrying the session's CSRF token (read from `page`)."""
        token = await self.csrf(page or "/admin/")
        return await self.client.post(path, data={**data, "csrf_token": token}, **kwargs)

    async def register(self, user_id: int, first_name: str = "Ana",
                       username: str | None = None) -> str:
        await self.services.domain.users.create_user(TelegramUser(
            id=user_id, username=username or f"u{user_id}", first_name=first_name))
        return str(user_id)

    async def events(self, event_type: str, user_id: str) -> list[dict[str, Any]]:
        query = sa.select(event_log.c.event_data).where(event_log.c.event_type == event_type,
                                                        event_log.c.user_id == user_id)
        async with self.services.stores.sql.read() as conn:
            return [json.loads(r) for r in (await conn.execute(query)).scalars()]


async def open_panel(storage: StorageSettings, *, base_url: str = "http://panel.test",
                     admin: AdminSettings | None = None) -> PanelEnv:
    settings = make_settings(storage)
    if admin is not None:
        settings = dataclasses.replace(settings, admin=admin)
    services = await start_core(settings)
    auth = await build_authenticator(settings)
    clock = FakeClock()
    panel = await build_admin_panel(settings=settings, domain=services.domain,
                                    health=services.health,
                                    limiter=MemoryFailureLimiter(limit=FAIL_LIMIT),
                                    account_limiter=MemoryFailureLimiter(
                                        limit=ACCOUNT_FAIL_LIMIT, window=900),
                                    clock=clock)
    app = create_app(services=services.domain, auth=auth, health_service=services.health,
                     metrics=services.metrics)
    app.mount("/admin", panel.app)
    await panel.context.accounts.add(OPERATOR, PASSWORD)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
    return PanelEnv(client=client, services=services, panel=panel, auth=auth, clock=clock,
                    app=app)


async def close_panel(env: PanelEnv) -> None:
    await env.client.aclose()
    await env.panel.aclose()
    await env.auth.aclose()
    await stop_core(env.services)


@pytest.fixture
async def panel(tmp_path: Path) -> AsyncIterator[PanelEnv]:
    env = await open_panel(StorageSettings(sqlite_database_path=tmp_path / "data" / "y.db"))
    yield env
    await close_panel(env)


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
async def panel_any(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PanelEnv]:
    env = await open_panel(storage_settings(request.param, tmp_path, request))
    yield env
    await close_panel(env)
