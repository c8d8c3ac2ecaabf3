"""Crash injection into create_user / delete_user with separate stores (MongoDB on nx-27017,
PostgreSQL + embedded documents): a child process is SIGKILLed at each step, then a
restarted process (start_core: recovery, then the bus) must reach the invariant:
the user is in both stores with `user_registered` handled once, or in neither with none.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.services.conftest import storage_settings
from yabot.core import Core, start_core, stop_core
from yabot.domain.events import BaseEvent
from yabot.domain.views import TelegramUser
from yabot.events.handler_context import HandlerContext
from yabot.settings import StorageSettings, load_settings
from yabot.storage.sql.tables import event_log, outbox, user_profiles, workflows

pytestmark = pytest.mark.slow
WORKER = Path(__file__).with_name("saga_worker.py")
UID = 777
probe_md = sa.MetaData()
probe = sa.Table("probe_handled", probe_md,
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("event_type", sa.Text), sa.Column("user_id", sa.Text))

# (crash step, fail step, expected outcome after recovery)
CREATE_CASES = [
    (None, None, "both"),
    ("create_user.started", None, "both"),
    ("create_user.document", None, "both"),
    ("create_user.document_written", None, "both"),
    ("create_user.committed", None, "both"),
    ("create_user.compensating", "create_user.document_written", "neither"),
    ("create_user.document_removed", "create_user.document_written", "neither"),
]
SEPARATE = [pytest.param("mongo", marks=pytest.mark.mongo),
            pytest.param("postgres", marks=pytest.mark.postgres)]


def _env(storage: StorageSettings, crash: str | None, fail: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("YABOT_", "DATABASE_URL", "MONGODB_", "REDIS_"))}
    env.update(SQLITE_DATABASE_PATH=str(storage.sqlite_database_path), LOG_LEVEL="WARNING")
    if storage.database_url is not None:
        env["DATABASE_URL"] = storage.database_url.get_secret_value()
    if storage.mongodb_uri is not None:
        env.update(MONGODB_URI=storage.mongodb_uri.get_secret_value(),
                   MONGODB_DATABASE=storage.mongodb_database)
    if crash:
        env["YABOT_CRASH_AT"] = crash
    if fail:
        env["YABOT_FAIL_AT"] = fail
    return env


def run_worker(cwd: Path, env: dict[str, str], action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(WORKER), action, str(UID)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def restart(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Core:
    """What `yabot run` does at start: stores, migrations, recovery; plus a probe group."""
    for key in ("YABOT_CRASH_AT", "YABOT_FAIL_AT"):
        monkeypatch.delenv(key, raising=False)
    for key in ("SQLITE_DATABASE_PATH", "DATABASE_URL", "MONGODB_URI", "MONGODB_DATABASE"):
        if key in env:
            monkeypatch.setenv(key, env[key])
    services = await start_core(load_settings())
    async with services.stores.sql.write() as conn:
        await conn.run_sync(probe_md.create_all)

    async def record(event: BaseEvent, ctx: HandlerContext) -> None:
        await ctx.conn.execute(probe.insert().values(event_type=event.event_type,
                                                     user_id=event.user_id))

    services.bus.add_subscriber("user_*", record, group="probe")
    await services.bus.start()
    return services


async def drained(services: Core) -> None:
    """Wait until the outbox is empty (relayed and, on memory, settled by every group)."""
    for _ in range(300):
        async with services.stores.sql.read() as conn:
            if (await conn.execute(sa.select(sa.func.count()).select_from(outbox))
                ).scalar_one() == 0:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("outbox not drained")


async def count(services: Core, table: sa.Table, *where: object) -> int:
    async with services.stores.sql.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table)
                                       .where(*where))).scalar_one())  # type: ignore[arg-type]


async def outcome(services: Core) -> str:
    """'both' or 'neither', asserting everything that goes with it."""
    uid = str(UID)
    profile = await count(services, user_profiles, user_profiles.c.user_id == uid)
    doc = await services.stores.documents.users.get(uid)
    published = await count(services, event_log, event_log.c.event_type == "user_registered")
    handled = await count(services, probe, probe.c.event_type == "user_registered")
    assert await count(services, workflows) == 0, "a saga is still open"
    if profile:
        assert doc is not None and (published, handled) == (1, 1), (doc, published, handled)
        return "both"
    assert doc is None and (published, handled) == (0, 0), (doc, published, handled)
    return "neither"


@pytest.mark.parametrize("stores", SEPARATE)
@pytest.mark.parametrize(("crash", "fail", "expected"), CREATE_CASES)
async def test_create_user_survives_sigkill_at_every_step(
        stores: str, crash: str | None, fail: str | None, expected: str, tmp_path: Path,
        request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env(storage_settings(stores, tmp_path, request), crash, fail)
    child = run_worker(tmp_path, env, "create")
    if crash:
        assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    else:
        assert child.returncode == 0 and "done" in child.stdout, child.stderr[-2000:]
    services = await restart(monkeypatch, env)
    try:
        await drained(services)
        assert await outcome(services) == expected
        if expected == "both":  # idempotent afterwards, and the user is whole
            again = await services.domain.users.create_user(TelegramUser(id=UID))
            assert again is False
            ctx = await services.domain.users.get_user_context(str(UID))
            assert ctx.profile.username == f"u{UID}"
    finally:
        await stop_core(services, bus_started=True)


@pytest.mark.parametrize("stores", SEPARATE)
@pytest.mark.parametrize("crash", ["delete_user.committed", "delete_user.document_removed"])
async def test_delete_user_survives_sigkill(stores: str, crash: str, tmp_path: Path,
                                            request: pytest.FixtureRequest,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env(storage_settings(stores, tmp_path, request), None, None)
    assert run_worker(tmp_path, env, "create").returncode == 0
    child = run_worker(tmp_path, {**env, "YABOT_CRASH_AT": crash}, "delete")
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    services = await restart(monkeypatch, env)
    try:
        await drained(services)
        uid = str(UID)
        assert await services.stores.documents.users.get(uid) is None
        assert await count(services, user_profiles, user_profiles.c.user_id == uid) == 0
        assert await count(services, workflows) == 0
        assert await count(services, event_log, event_log.c.event_type == "user_deleted") == 1
        assert await count(services, probe, probe.c.event_type == "user_deleted") == 1
    finally:
        await stop_core(services, bus_started=True)
