"""Apply the packaged Alembic migrations; refuse a schema newer than this code. Commands
other than `migrate` and `run` only check (read-only) that the schema is this code's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from yabot.domain.errors import SchemaError, SchemaNotReadyError
from yabot.storage.sql.database import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_ID = 7_261_077  # pg_advisory_xact_lock key that serialises migrators


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def code_head() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _refuse_unknown(script: ScriptDirectory, current: str, head: str) -> None:
    """SchemaError when `current` is no revision of this code (the schema is newer)."""
    try:
        script.get_revision(current)
    except CommandError as exc:
        raise SchemaError(
            f"database schema is at revision {current!r}, which this code does not know "
            f"(newest known: {head!r}); the schema is newer than the code: deploy the "
            "newer yabot version or restore a matching backup") from exc


def _upgrade(sync_conn: Any) -> tuple[str | None, str]:
    cfg = _config()
    script = ScriptDirectory.from_config(cfg)
    current = MigrationContext.configure(sync_conn).get_current_revision()
    head = code_head()
    if current is not None:
        _refuse_unknown(script, current, head)
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")
    return current, head


async def migrate(db: Database) -> tuple[str | None, str]:
    """Upgrade to head in one transaction; returns (revision before, revision after)."""
    try:
        async with db.write() as conn:
            if not db.is_sqlite:  # serialise concurrent migrators (BEGIN IMMEDIATE does on SQLite)
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    sa.literal(_MIGRATION_LOCK_ID, sa.BigInteger))))
            return await conn.run_sync(_upgrade)
    except SchemaError:
        raise
    except Exception as exc:
        raise SchemaError(
            f"could not create or upgrade the relational schema on {db.backend} "
            f"({type(exc).__name__}: {exc})") from exc


async def current_revision(db: Database) -> str | None:
    async with db.read() as conn:
        return await conn.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision())


def _check(sync_conn: Any) -> str:
    current = MigrationContext.configure(sync_conn).get_current_revision()
    head = code_head()
    if current == head:
        return head
    if current is None:
        raise SchemaNotReadyError("the database has no schema yet; run `yabot migrate`")
    _refuse_unknown(ScriptDirectory.from_config(_config()), current, head)
    raise SchemaNotReadyError(f"the database schema is at revision {current}, older than "
                              f"this code's {head}; run `yabot migrate`")


async def require_current_schema(db: Database) -> str:
    """Read-only check that the schema is at this code's head; returns the revision."""
    async with db.read() as conn:
        return await conn.run_sync(_check)
