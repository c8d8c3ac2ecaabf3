"""A separate process for the scheduler test (run as a script, not collected).

    python scheduler_worker.py DB_PATH TICK

Runs a `Scheduler` over the SQLite file with the deployment's real jobs, each wrapped so
that every run also inserts a row into `job_runs` (job name, pid). Prints `ready`, runs
until SIGTERM, stops the scheduler and exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import sqlalchemy as sa

from yabot.core import start_core, stop_core
from yabot.logs import configure_logging
from yabot.services.container import build_scheduler, default_jobs
from yabot.services.workflow.scheduler import Job
from yabot.settings import load_settings

md = sa.MetaData()
job_runs = sa.Table("job_runs", md, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("job", sa.Text), sa.Column("pid", sa.Integer),
                    sa.Column("result", sa.Text))


async def main(tick: float) -> int:
    settings = load_settings()
    configure_logging(settings.log, stream=sys.stderr)
    services = await start_core(settings)
    db = services.stores.sql
    async with db.write() as conn:
        await conn.run_sync(md.create_all)

    def counted(job: Job) -> Job:
        async def run() -> object:
            result = await job.run()
            async with db.write() as conn:
                await conn.execute(job_runs.insert().values(job=job.name, pid=os.getpid(),
                                                            result=str(result)))
            return result
        return Job(name=job.name, interval=job.interval, run=run)

    scheduler = build_scheduler(db, [counted(j) for j in default_jobs(services.domain,
                                                                  services.bus)],
                          tick=tick, lease_ttl=1.0)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await services.bus.start()
    await scheduler.start()
    print("ready", flush=True)
    await stop.wait()
    await scheduler.stop()
    await stop_core(services, bus_started=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(float(sys.argv[1]))))
