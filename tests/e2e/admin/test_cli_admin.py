"""`yabot admin add/remove` as a user runs them: the password is the first line of stdin."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_run import clean_env


def yabot(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yabot", *args], cwd=cwd, input=stdin,
                          text=True, capture_output=True, env=clean_env(), timeout=120)


def accounts(cwd: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(cwd / "data" / "yabot.db") as conn:
        return conn.execute("SELECT username, password_hash FROM admin_accounts").fetchall()


def test_add_then_remove(tmp_path: Path) -> None:
    assert yabot(tmp_path, "migrate").returncode == 0
    added = yabot(tmp_path, "admin", "add", "ana", stdin="doce caracteres!\nsecond line\n")
    assert added.returncode == 0, added.stderr
    [(name, hashed)] = accounts(tmp_path)
    assert name == "ana" and hashed.startswith("$argon2") and "doce" not in hashed
    assert "doce caracteres!" not in added.stdout + added.stderr  # never echoed or logged
    again = yabot(tmp_path, "admin", "add", "ana", stdin="doce caracteres!\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    removed = yabot(tmp_path, "admin", "remove", "ana")
    assert removed.returncode == 0, removed.stderr
    assert accounts(tmp_path) == []


def test_short_password_is_refused(tmp_path: Path) -> None:
    done = yabot(tmp_path, "admin", "add", "ana", stdin="once chars!\n")  # 11 characters
    assert done.returncode == 2 and "at least 12 characters" in done.stderr
    assert not (tmp_path / "data").exists()  # nothing was written
