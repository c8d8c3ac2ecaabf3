"""The API over a real service stack (`start_core`), driven with httpx in-process.

`api` runs a test on the embedded default, PostgreSQL + embedded documents and SQLite +
MongoDB (nx-27017); `api_embedded` on the default only (auth, errors, limits)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import SecretStr

from tests.integration.services.conftest import STORES, storage_settings
from yabot.api.app import create_app
from yabot.api.auth import Authenticator, build_authenticator
from yabot.core import Core, start_core, stop_core
from yabot.domain.views import TelegramUser
from yabot.settings import (
    JwtSettings,
    RedisSettings,
    Settings,
    StorageSettings,
)
from yabot.storage.sql.tables import event_log

SECRET = "api-test-secret-0123456789abcdef-XYZ"
ALL_SCOPES = ("read", "write", "admin")


def make_settings(storage: StorageSettings, *, redis_url: str | None = None,
                  jwt_settings: JwtSettings | None = None) -> Settings:
    return Settings.of(
        storage=storage,
        redis=RedisSettings(url=SecretStr(redis_url) if redis_url else None, sentinels=None),
        jwt=jwt_settings or JwtSettings(algorithm="HS256", secret=SecretStr(SECRET),
                                        private_key_path=None, public_key_path=None))


def hs_token(scopes: Sequence[str] | str = ALL_SCOPES, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {"iss": "yabot-api", "aud": "yabot-internal", "sub": "tests",
                            "iat": now, "exp": now + 300,
                            "scope": scopes if isinstance(scopes, str) else list(scopes)}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, SECRET,
                      algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(kw_only=True)
class ApiEnv:
    client: httpx.AsyncClient
    services: Core
    auth: Authenticator

    @property
    def headers(self) -> dict[str, str]:
        return bearer(hs_token())

    async def register(self, user_id: int) -> str:
        await self.services.domain.users.create_user(
            TelegramUser(id=user_id, username=f"u{user_id}", first_name="Ana"))
        return str(user_id)

    async def events(self, event_type: str, user_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(event_log.c.event_data).where(event_log.c.event_type == event_type)
        if user_id is not None:
            query = query.where(event_log.c.user_id == user_id)
        async with self.services.stores.sql.read() as conn:
            rows = (await conn.execute(query.order_by(event_log.c.timestamp))).scalars().all()
        return [json.loads(r) for r in rows]


async def open_env(settings: Settings,
                   extra_routers: Sequence[APIRouter] = ()) -> tuple[ApiEnv, httpx.AsyncClient]:
    services = await start_core(settings)
    auth = await build_authenticator(settings)
    app = create_app(services=services.domain, auth=auth, health_service=services.health,
                     metrics=services.metrics, extra_routers=extra_routers)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                               base_url="http://api.test")
    return ApiEnv(client=client, services=services, auth=auth), client


async def close_env(env: ApiEnv) -> None:
    await env.client.aclose()
    await env.auth.aclose()
    await stop_core(env.services)


@pytest.fixture(params=STORES)
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ApiEnv]:
    env, _ = await open_env(make_settings(storage_settings(request.param, tmp_path, request)))
    yield env
    await close_env(env)


@pytest.fixture
async def api_embedded(tmp_path: Path) -> AsyncIterator[ApiEnv]:
    env, _ = await open_env(make_settings(StorageSettings(
        sqlite_database_path=tmp_path / "data" / "yabot.db")))
    yield env
    await close_env(env)
