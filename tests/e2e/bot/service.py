"""Run `yabot run` (or `yabot chat`) as a subprocess against the fake Bot API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from tests.e2e.test_run import clean_env
from tests.fixtures.common import free_port

BOT_TOKEN = "123456789:AAH-bot-e2e-token-DoNotLog-xyz"
HOOK_SECRET = "hook-secret-DoNotLog-0123456789"
JWT_SECRET = "jwt-secret-bot-e2e-0123456789abcdef-XYZ"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method: str, url: str, body: bytes | dict[str, Any] | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with _OPENER.open(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


@dataclass
class Service:
    base: str
    proc: subprocess.Popen[str]
    log_path: Path

    def hook(self, update: dict[str, Any] | bytes, secret: str | None = HOOK_SECRET
             ) -> tuple[int, Any]:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return http("POST", self.base + "/telegram/webhook", update, headers)

    def api(self, method: str, path: str, body: dict[str, Any] | None = None
            ) -> tuple[int, Any]:
        now = int(time.time())
        token = jwt.encode({"iss": "yabot-api", "aud": "yabot-internal", "sub": "bot-e2e",
                            "iat": now, "exp": now + 600, "scope": ["read", "write"]},
                           JWT_SECRET, algorithm="HS256")
        return http(method, self.base + "/api/v1" + path, body,
                    {"Authorization": f"Bearer {token}"})

    def log(self) -> str:
        return self.log_path.read_text()


def bot_env(tmp_path: Path, api_url: str, port: int, **extra: str) -> dict[str, str]:
    return clean_env(**{"SQLITE_DATABASE_PATH": str(tmp_path / "data" / "yabot.db"),
                        "API_PORT": str(port), "JWT_ALGORITHM": "HS256",
                        "JWT_SECRET": JWT_SECRET, "BOT_TOKEN": BOT_TOKEN,
                        "TELEGRAM_API_URL": api_url, "LOG_LEVEL": "DEBUG",
                        "REACTION_REWARD_BESITOS": "3", **extra})


@contextmanager
def run_service(tmp_path: Path, api_url: str, *, webhook: bool, **extra: str
                ) -> Iterator[Service]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if webhook:
        extra = {"BOT_MODE": "webhook", "WEBHOOK_BASE_URL": base,
                 "WEBHOOK_SECRET": HOOK_SECRET, **extra}
    log_path = tmp_path / "service.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "yabot", "run"], cwd=tmp_path, text=True,
                            stdout=log, stderr=subprocess.STDOUT,
                            env=bot_env(tmp_path, api_url, port, **extra))
    service = Service(base, proc, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            try:
                if http("GET", base + "/health/live")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield service
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
