"""`yabot` refuses invalid configuration: exit 2, within 5 s, a line per variable, no files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

YABOT = [sys.executable, "-m", "yabot"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("API_", "JWT_", "BOT_", "WEBHOOK_", "REDIS_", "MONGODB_",
                                 "DATABASE_URL", "SQLITE_", "LOG_"))}
    return subprocess.run(YABOT + args, cwd=cwd, env={**base, **env}, capture_output=True,
                          text=True, timeout=30)


@pytest.mark.parametrize("command", [["run"], ["migrate"], ["health"]])
def test_invalid_settings_exit_2_fast_and_write_nothing(tmp_path: Path,
                                                        command: list[str]) -> None:
    start = time.monotonic()
    result = run(command, tmp_path, API_PORT="not-a-port", JWT_ALGORITHM="HS256",
                 JWT_SECRET="short", BOT_MODE="webhook",
                 WEBHOOK_SECRET="hook-secret-abc123-DoNotLog")
    elapsed = time.monotonic() - start
    assert result.returncode == 2, result.stderr
    assert elapsed < 5
    lines = result.stderr.strip().splitlines()
    for variable in ("API_PORT", "JWT_SECRET", "WEBHOOK_BASE_URL"):
        assert sum(variable in line for line in lines) == 1, lines
    assert "hook-secret-abc123-DoNotLog" not in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []


def test_migrate_creates_the_schema_and_is_repeatable(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "y.db"
    first = run(["migrate"], tmp_path, SQLITE_DATABASE_PATH=str(db))
    assert first.returncode == 0, first.stderr
    second = run(["migrate"], tmp_path, SQLITE_DATABASE_PATH=str(db))
    assert second.returncode == 0, second.stderr
    assert db.exists()


def test_health_reports_components_and_exits_0_when_ready(tmp_path: Path) -> None:
    db = str(tmp_path / "y.db")
    assert run(["migrate"], tmp_path, SQLITE_DATABASE_PATH=db).returncode == 0
    result = run(["health"], tmp_path, SQLITE_DATABASE_PATH=db)
    assert result.returncode == 0, result.stderr
    assert '"relational"' in result.stdout and '"documents"' in result.stdout


def test_health_exits_non_zero_when_a_store_is_unreachable(tmp_path: Path) -> None:
    assert run(["migrate"], tmp_path, SQLITE_DATABASE_PATH=str(tmp_path / "y.db")).returncode == 0
    result = run(["health"], tmp_path, SQLITE_DATABASE_PATH=str(tmp_path / "y.db"),
                 MONGODB_URI="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200")
    assert result.returncode != 0
    assert "mongodb" in result.stdout + result.stderr
