"""Helpers for the payments tests: the relational backend, admin calls, the event log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.bot.service import JWT_SECRET, Service, http
from tests.fixtures.postgres import run_async

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def backend_env(request: pytest.FixtureRequest, name: str | None = None) -> dict[str, str]:
    """Extra environment for `run_service`: nothing (SQLite) or a throwaway PostgreSQL."""
    if (name or request.param) == "sqlite":
        return {}
    return {"DATABASE_URL": str(request.getfixturevalue("postgres_url"))}


def db_url(tmp_path: Path, env: dict[str, str]) -> str:
    return env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'data' / 'yabot.db'}"


def query(url: str, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    """Read the service's database from the test (a fresh engine per call)."""
    async def run() -> list[tuple[Any, ...]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in (await conn.execute(sa.text(statement), params))]
        finally:
            await engine.dispose()
    return run_async(run)


def events_of(url: str, event_type: str, user_id: int) -> int:
    rows = query(url, "SELECT count(*) FROM event_log WHERE event_type = :t AND user_id = :u",
                 t=event_type, u=str(user_id))
    return int(rows[0][0])


def admin_api(svc: Service, method: str, path: str) -> tuple[int, Any]:
    now = int(time.time())
    token = jwt.encode({"iss": "yabot-api", "aud": "yabot-internal", "sub": "ops",
                        "iat": now, "exp": now + 600, "scope": ["admin"]},
                       JWT_SECRET, algorithm="HS256")
    return http(method, svc.base + "/api/v1" + path, None,
                {"Authorization": f"Bearer {token}"})


def wait_until(predicate: Any, timeout: float = 30.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
