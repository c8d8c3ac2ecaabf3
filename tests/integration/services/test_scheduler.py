"""The scheduler: each job runs once per interval per deployment, across processes and
restarts (two real processes on one SQLite file; claims also checked in-process)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.services.conftest import Stack
from yabot.domain.views import TelegramUser
from yabot.services.container import build_scheduler
from yabot.services.workflow.scheduler import Job
from yabot.storage.sql.tables import scheduled_jobs, subscriptions

WORKER = Path(__file__).with_name("scheduler_worker.py")
JOBS = {"subscriptions.expire_due", "subscriptions.notify_expiring", "events.purge_event_log",
        "events.purge_processed_marks", "users.recover_sagas", "economy.expire_missions",
        "payments.reconcile_channel"}
FREQUENT = {"auctions.close_due", "payments.vip_sweep"}  # may run again within the window


def _counter(runs: list[str], name: str, interval: float = 3600) -> Job:
    async def run() -> None:
        runs.append(name)
    return Job(name=name, interval=interval, run=run)


@pytest.mark.parametrize("stack", ["embedded", pytest.param("postgres",
                                                             marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_slot_is_claimed_once_and_survives_restarts(stack: Stack) -> None:
    runs: list[str] = []
    db = stack.stores.sql
    first = build_scheduler(db, [_counter(runs, "a"), _counter(runs, "b")])
    second = build_scheduler(db, [_counter(runs, "a"), _counter(runs, "b")])
    ran = await asyncio.gather(first.run_due(), second.run_due())
    assert sorted(runs) == ["a", "b"] and sorted(ran[0] + ran[1]) == ["a", "b"]
    restarted = build_scheduler(db, [_counter(runs, "a"), _counter(runs, "b")])  # a new process
    assert await restarted.run_due() == [] and len(runs) == 2
    async with db.write() as conn:  # the interval passes
        await conn.execute(scheduled_jobs.update().where(scheduled_jobs.c.name == "a")
                           .values(last_run_at=time.time() - 7200))
    assert await restarted.run_due() == ["a"]
    async with db.read() as conn:
        rows = dict((await conn.execute(sa.select(scheduled_jobs.c.name, scheduled_jobs.c.runs)
                                        )).all())
    assert rows == {"a": 2, "b": 1}


@pytest.mark.parametrize("stack", ["embedded"], indirect=True)
async def test_a_failing_job_is_recorded_and_others_run(stack: Stack) -> None:
    async def boom() -> None:
        raise RuntimeError("nope")
    runs: list[str] = []
    sched = build_scheduler(stack.stores.sql, [Job(name="bad", interval=60, run=boom),
                                         _counter(runs, "good")])
    assert await sched.run_due() == ["bad", "good"]
    async with stack.stores.sql.read() as conn:
        row = (await conn.execute(sa.select(scheduled_jobs.c.last_status,
                                            scheduled_jobs.c.last_error)
                                  .where(scheduled_jobs.c.name == "bad"))).one()
    assert row == ("failed", "RuntimeError: nope") and runs == ["good"]


@pytest.mark.slow
async def test_two_processes_run_each_job_once(tmp_path: Path) -> None:
    db_path = tmp_path / "yabot.db"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "MONGODB_", "REDIS_", "YABOT_"))}
    env.update(SQLITE_DATABASE_PATH=str(db_path), LOG_LEVEL="WARNING")
    # a due plan and one ending soon, for the real jobs to act on
    from tests.integration.services.conftest import build_stack
    from yabot.settings import StorageSettings
    stack = await build_stack(StorageSettings(sqlite_database_path=db_path))
    for uid in (1, 2):
        await stack.users.create_user(TelegramUser(id=uid))
        await stack.subscriptions.set_plan(str(uid), "vip", datetime.now(UTC) + timedelta(days=2))
    async with stack.stores.sql.write() as conn:
        await conn.execute(subscriptions.update().where(subscriptions.c.user_id == "1")
                           .values(end_date=datetime.now(UTC) - timedelta(minutes=1)))

    def spawn() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, str(WORKER), "0.1"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    procs = [spawn(), spawn()]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        await asyncio.sleep(3)  # ~30 ticks each, lease 1 s: both hold it at some point
        restarted = spawn()  # a restart must not run anything again
        procs.append(restarted)
        assert restarted.stdout is not None and restarted.stdout.readline().strip() == "ready"
        await asyncio.sleep(1.5)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            assert p.wait(timeout=30) == 0, p.stderr.read() if p.stderr else ""
    async with stack.stores.sql.read() as conn:
        runs = (await conn.execute(sa.text("SELECT job, pid FROM job_runs"))).all()
    ran = [r[0] for r in runs if r[0] not in FREQUENT]
    assert sorted(ran) == sorted(JOBS)  # every job ran, exactly once
    assert {r[0] for r in runs} - JOBS == FREQUENT
    assert len(await stack.events("subscription_expiring")) == 1  # user 2
    expired = [e for e in await stack.events("subscription_updated")
               if e["payload"]["status"] == "expired"]  # type: ignore[index]
    assert [e["user_id"] for e in expired] == ["1"]
    await stack.stores.disconnect_all()
