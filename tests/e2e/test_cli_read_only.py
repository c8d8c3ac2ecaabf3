"""Commands do only their job: on a missing database or an older schema every command but
`migrate` and `run` refuses ("run `yabot migrate`") and touches no file; on a migrated
database `health` and `events dlq list` answer and write nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from yabot.storage.sql.migrate import MIGRATIONS_DIR, code_head

REFUSED = "run `yabot migrate`"
COMMANDS = {
    "health": ["health"],
    "dlq list": ["events", "dlq", "list"],
    "dlq replay": ["events", "dlq", "replay", "--all"],
    "content load": ["content", "load", "pack.yaml"],
    "users import": ["users", "import", "users.jsonl"],
    "admin remove": ["admin", "remove", "ana"],
}  # `chat` is not here: like `run` it migrates (tests/e2e/bot/test_chat.py, a fresh dir)


def yabot(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REDIS_", "DATABASE_URL", "MONGODB_", "BOT_", "SQLITE_"))}
    return subprocess.run([sys.executable, "-m", "yabot", *args], cwd=cwd, env=env,
                          input="", capture_output=True, text=True, timeout=60)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root`: its bytes and modification time."""
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "pack.yaml").write_text("fragments: []\n")
    (tmp_path / "users.jsonl").write_text(json.dumps({"telegram_user_id": 5}) + "\n")
    return tmp_path


def migrate_to_previous_revision(db: Path) -> str:
    """A database as the previous release left it (WAL, like every file yabot makes)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    previous = ScriptDirectory.from_config(cfg).get_revision(code_head()).down_revision
    assert isinstance(previous, str)
    db.parent.mkdir(parents=True)
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, previous)
    engine.dispose()
    return previous


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_missing_database_is_refused_and_nothing_is_created(workdir: Path,
                                                               name: str) -> None:
    before = snapshot(workdir)
    done = yabot(workdir, *COMMANDS[name])
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"yabot: no database at data/yabot.db; {REFUSED}")
    assert snapshot(workdir) == before  # no data/ directory, no database file


@pytest.mark.parametrize("name", ["health", "dlq list", "users import"])
def test_an_older_schema_is_refused_and_left_as_it_is(workdir: Path, name: str) -> None:
    previous = migrate_to_previous_revision(workdir / "data" / "yabot.db")
    before = snapshot(workdir)
    done = yabot(workdir, *COMMANDS[name])
    assert done.returncode == 1, done.stdout + done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message == (f"yabot: the database schema is at revision {previous}, older than "
                       f"this code's {code_head()}; {REFUSED}")
    assert snapshot(workdir) == before


def test_on_a_migrated_database_health_and_dlq_list_answer_and_write_nothing(
        workdir: Path) -> None:
    migrated = yabot(workdir, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "demo story is loaded" in migrated.stdout
    before = snapshot(workdir)
    assert "data/yabot.db" in before

    health = yabot(workdir, "health")
    assert health.returncode == 0, health.stdout + health.stderr
    body = json.loads(health.stdout)
    assert body["status"] == "ready"
    assert body["components"]["dead_letters"]["detail"] == {"pending": 0}
    listed = yabot(workdir, "events", "dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == "" and "0 dead letter(s)" in listed.stderr

    assert snapshot(workdir) == before
    again = yabot(workdir, "migrate")  # the demo story is loaded once
    assert again.returncode == 0 and "demo story" not in again.stdout
