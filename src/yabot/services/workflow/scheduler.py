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

from yabot.logs import get_logger
from yabot.services.workflow.ports import JobStore, LeaseStore

log = get_logger(__name__)
LEASE = "scheduler"


@dataclass(frozen=True, kw_only=True)
class Job:
    name: str
    interval: float  # seconds between runs
    run: Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(self, *, store: JobStore, leases: LeaseStore, jobs: list[Job],
                 tick: float = 2.0, lease_ttl: float = 15.0) -> None:
        self.store, self.leases, self.jobs = store, leases, jobs
        self.tick, self.lease_ttl = tick, lease_ttl
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
        last = await self.store.last_runs()
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
        return await self.store.claim(job.name, job.interval, now, self.owner)

    async def _run(self, job: Job) -> None:
        error: str | None = None
        try:
            result = await job.run()
            log.info("scheduled job ran", job=job.name, result=result)
        except Exception as exc:  # recorded; the job runs again at its next interval
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.error("scheduled job failed", job=job.name, error=error)
        await self.store.finish(job.name, self.owner, error)
