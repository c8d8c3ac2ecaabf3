"""In-process scheduler: each job runs once per interval per deployment, across restarts.

Every process runs a `Scheduler`; only the one holding the `scheduler` lease (the relay's
lease table) looks for due jobs. A run is *claimed* by a conditional update of its
`scheduled_jobs` row (last run older than the interval), so even two lease holders (an
expired lease, a clock step) cannot run one slot twice, and the last run survives restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa

from yabot.events.bus import EventBus
from yabot.events.outbox import Outbox
from yabot.logs import get_logger
from yabot.services.container import DomainServices
from yabot.services.users.rows import upsert_dialect
from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import scheduled_jobs

log = get_logger(__name__)
LEASE = "scheduler"
_J = scheduled_jobs.c


@dataclass(frozen=True, kw_only=True)
class Job:
    name: str
    interval: float  # seconds between runs
    run: Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(self, db: Database, jobs: list[Job], *, tick: float = 2.0,
                 lease_ttl: float = 15.0) -> None:
        self.db, self.jobs, self.tick, self.lease_ttl = db, jobs, tick, lease_ttl
        self.leases = Outbox(db)  # only its lease methods
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(), name="scheduler")
        log.info("scheduler started", jobs=[j.name for j in self.jobs])

    async def stop(self) -> None:
        """Let a running job finish, then release the lease."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        try:
            await self.leases.drop_lease(LEASE, self.owner)
        except Exception as exc:
            log.warning("could not release the scheduler lease", error=str(exc))

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if await self.leases.hold_lease(LEASE, self.owner, self.lease_ttl):
                    await self.run_due()
            except Exception as exc:  # a store hiccup: try again next tick
                log.error("scheduler pass failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.tick)

    async def run_due(self) -> list[str]:
        """Run every job whose interval has passed (and that this process claims)."""
        async with self.db.read() as conn:
            last = dict((await conn.execute(sa.select(_J.name, _J.last_run_at))).all())
        ran = []
        for job in self.jobs:
            if self._stop.is_set():
                break
            now = time.time()
            if job.name in last and last[job.name] + job.interval > now:
                continue
            if await self._claim(job, now):
                await self._run(job)
                ran.append(job.name)
        return ran

    async def _claim(self, job: Job, now: float) -> bool:
        async with self.db.write() as conn:
            claimed = await conn.execute(
                scheduled_jobs.update()
                .where(_J.name == job.name, _J.last_run_at <= now - job.interval)
                .values(last_run_at=now, last_status="running", runs=_J.runs + 1,
                        last_owner=self.owner).returning(_J.name))
            if claimed.first() is not None:
                return True
            inserted = await conn.execute(
                upsert_dialect(self.db)(scheduled_jobs)
                .values(name=job.name, last_run_at=now, last_status="running", runs=1,
                        last_owner=self.owner)
                .on_conflict_do_nothing().returning(_J.name))
            return inserted.first() is not None

    async def _run(self, job: Job) -> None:
        error: str | None = None
        try:
            result = await job.run()
            log.info("scheduled job ran", job=job.name, result=result)
        except Exception as exc:  # recorded; the job runs again at its next interval
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.error("scheduled job failed", job=job.name, error=error)
        async with self.db.write() as conn:
            await conn.execute(scheduled_jobs.update()
                               .where(_J.name == job.name, _J.last_owner == self.owner)
                               .values(last_status="failed" if error else "ok",
                                       last_error=error))


def default_jobs(domain: DomainServices, bus: EventBus) -> list[Job]:
    """The deployment's jobs: expiry sweep, expiring notices, retention purges, sagas,
    auctions past their end, the day's unfinished missions."""
    return [
        Job(name="subscriptions.expire_due", interval=60, run=domain.subscriptions.expire_due),
        Job(name="subscriptions.notify_expiring", interval=600,
            run=domain.subscriptions.notify_expiring),
        Job(name="events.purge_event_log", interval=3600, run=bus.purge_event_log),
        Job(name="events.purge_processed_marks", interval=3600,
            run=bus.purge_processed_marks),
        Job(name="users.recover_sagas", interval=300,
            run=lambda: domain.users.recover(min_age=120)),
        Job(name="auctions.close_due", interval=5, run=domain.auctions.close_due),
        Job(name="economy.expire_missions", interval=300,
            run=domain.economy.missions.expire_due),
        Job(name="payments.vip_sweep", interval=10, run=domain.channel.sweep),
        Job(name="payments.reconcile_channel", interval=86_400, run=domain.channel.reconcile),
    ]


def build_scheduler(db: Database, domain: DomainServices, bus: EventBus) -> Scheduler:
    return Scheduler(db, default_jobs(domain, bus))
