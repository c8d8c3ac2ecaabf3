"""More than 20 failed authentications from one client within 60 s: 429 + Retry-After and
an ALERT log line; in-process by default, across processes through Redis."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.redis import RedisServer
from tests.integration.api.conftest import (
    ApiEnv,
    bearer,
    close_env,
    hs_token,
    make_settings,
    open_env,
)
from yabot.logs import configure_logging
from yabot.settings import LogSettings, StorageSettings

URL = "/api/v1/narrative/fragment_001"
BAD = bearer("not.a.token")


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(LogSettings(format="json", level="INFO"), [], stream=stream)
    yield stream
    logging.getLogger().handlers.clear()


def alerts(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [line for line in lines if str(line.get("event", "")).startswith("ALERT")]


async def test_21st_failure_is_429_with_retry_after_and_an_alert(
        api_embedded: ApiEnv, log_output: io.StringIO) -> None:
    env = api_embedded
    for _ in range(20):
        assert (await env.client.get(URL, headers=BAD)).status_code == 401
    assert alerts(log_output) == []
    r = await env.client.get(URL, headers=BAD)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["error"]["code"] == "too_many_auth_failures"
    assert (await env.client.get(URL)).status_code == 429  # no token is a failure too
    [alert] = alerts(log_output)
    assert alert["client"] == "127.0.0.1" and alert["failures"] == 21
    assert "not.a.token" not in log_output.getvalue()
    # a valid token still works: the limiter only answers failed authentications
    assert (await env.client.get(URL, headers=env.headers)).status_code == 200


@pytest.mark.redis
async def test_limit_holds_across_processes_with_redis(tmp_path: Path, redis_url: str) -> None:
    envs = []
    for name in ("a", "b"):
        settings = make_settings(
            StorageSettings(sqlite_database_path=tmp_path / name / "yabot.db"),
            redis_url=redis_url)
        envs.append((await open_env(settings))[0])
    a, b = envs
    try:
        for i in range(20):
            env = a if i % 2 else b
            assert (await env.client.get(URL, headers=BAD)).status_code == 401
        r = await a.client.get(URL, headers=BAD)
        assert r.status_code == 429, "the 21st failure, counted across both instances"
        assert int(r.headers["retry-after"]) >= 1
        assert (await b.client.get(URL, headers=BAD)).status_code == 429
        assert (await b.client.get(URL, headers=bearer(hs_token()))).status_code == 200
    finally:
        for env in envs:
            await close_env(env)


@pytest.mark.redis
async def test_redis_down_fails_open_with_401(tmp_path: Path, private_redis: RedisServer) -> None:
    settings = make_settings(StorageSettings(sqlite_database_path=tmp_path / "yabot.db"),
                             redis_url=private_redis.url)
    env, _ = await open_env(settings)
    try:
        assert (await env.client.get(URL, headers=BAD)).status_code == 401
        private_redis.stop()
        for _ in range(25):  # uncounted while Redis is down: never a 429, never a 500
            r = await env.client.get(URL, headers=BAD)
            assert r.status_code == 401, r.text
        assert (await env.client.get(URL, headers=env.headers)).status_code == 200
    finally:
        await close_env(env)
