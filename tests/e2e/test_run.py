"""`yabot run` end to end: serves health and metrics, stops on SIGTERM with exit 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures.common import free_port
from tests.fixtures.redis import RedisServer

SECRETS = {
    "JWT_SECRET": "jwt-secret-0123456789abcdef-0123456789",
    "BOT_TOKEN": "123456789:AAH-e2e-bot-token-DoNotLog-abcdefgh",
    "REDIS_PASSWORD": "redis-pw-DoNotLog",
}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("API_", "JWT_", "BOT_", "WEBHOOK_", "REDIS_", "MONGODB_",
                                "DATABASE_URL", "SQLITE_", "LOG_", "EVENTS_"))}
    return {**env, **extra}


def get(url: str) -> tuple[int, dict[str, object] | str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode(), exc.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


@contextmanager
def service(tmp_path: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    log = open(tmp_path / "service.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "yabot", "run"], cwd=tmp_path, text=True, stdout=log,
        stderr=subprocess.STDOUT, env=clean_env(API_PORT=str(port), **env))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "service.log").read_text()
            try:
                if get(base + "/health/live")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_run_serves_health_and_metrics_then_stops_on_sigterm(tmp_path: Path) -> None:
    with service(tmp_path) as (base, proc):
        status, body = get(base + "/health/ready")
        assert status == 200, body
        assert isinstance(body, dict)
        assert {"relational", "documents", "events", "outbox", "dead_letters"} <= set(
            body["components"])  # type: ignore[arg-type]
        status, metrics = get(base + "/metrics")
        assert status == 200
        for name in ("yabot_request_count_total", "yabot_request_duration_seconds",
                     "yabot_error_rate", "yabot_outbox_backlog", "yabot_dead_letters 0.0"):
            assert name in str(metrics), name
        status, missing = get(base + "/no/such/route")
        assert status == 404
        assert isinstance(missing, dict)
        assert missing["error"]["code"] == "not_found"  # type: ignore[index]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    log = (tmp_path / "service.log").read_text()
    assert "running without the Telegram bot" in log
    assert (tmp_path / "data" / "yabot.db").exists()


@pytest.mark.redis
def test_readiness_follows_redis_and_secrets_stay_out_of_logs(
        tmp_path: Path, private_redis: RedisServer) -> None:
    private_redis.command("CONFIG", "SET", "requirepass", SECRETS["REDIS_PASSWORD"])
    with service(tmp_path, REDIS_URL=f"redis://127.0.0.1:{private_redis.port}/0",
                 JWT_ALGORITHM="HS256", LOG_LEVEL="DEBUG", **SECRETS) as (base, proc):
        deadline = time.monotonic() + 20
        while get(base + "/health/ready")[0] != 200:
            assert time.monotonic() < deadline, get(base + "/health/ready")
            time.sleep(0.2)
        private_redis.kill()
        status, body = get(base + "/health/ready")
        assert status == 503, body
        assert "events" in body["error"]["details"]["failing"]  # type: ignore[index]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    log = (tmp_path / "service.log").read_text()
    assert log, "no log output"
    for secret in SECRETS.values():
        assert secret not in log
