"""Redis that loses data: SIGKILLed and restarted without persistence (`--appendonly no`) or
with `appendfsync everysec`, mid-stream, while several tasks publish and two groups consume.

The relay keeps sent rows for the replay window and sends them again when a partition's
marker shows Redis lost data; the processed marks absorb the duplicates. Nothing may be
lost or handled twice, and every user's events are handled in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.fixtures.redis import RedisServer, _binary
from tests.integration.test_bus_faults import (
    Spawn,
    assert_once_in_order,
    expected_ids,
    handled_count,
    missing,
    wait_until,
)
from yabot.events.transports.redis_markers import marker_key

pytestmark = [pytest.mark.slow, pytest.mark.redis]
PERSISTENCE = {
    "appendonly-no": ["--appendonly", "no", "--save", ""],
    "appendfsync-everysec": ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
}


class LossyRedis(RedisServer):
    """A private redis-server whose persistence is one of PERSISTENCE."""

    def __init__(self, binary: str, directory: Path, mode: str) -> None:
        super().__init__(binary, directory)
        self.mode, self.persistence = mode, PERSISTENCE[mode]

    def _command(self) -> list[str]:
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), *self.persistence, "--daemonize", "no",
                "--protected-mode", "no", "--logfile", str(self.dir / "redis.log")]


@pytest.fixture(params=sorted(PERSISTENCE))
def lossy_redis(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LossyRedis]:
    server = LossyRedis(_binary(), tmp_path / "lossy", request.param)
    server.start()
    yield server
    server.stop()


async def _markers(url: str) -> int:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        values = [await client.get(marker_key("yabot:events", p)) for p in range(16)]
    finally:
        await client.aclose()
    return sum(1 for v in values if v)


async def test_redis_losing_data_mid_stream_loses_nothing_and_keeps_user_order(
        spawn: Spawn, db_path: Path, lossy_redis: LossyRedis) -> None:
    users, events, groups = 24, 50, ("g1", "g2")
    expected = expected_ids("lossy", users, events)
    # handlers slower than the publishers: at each crash Redis holds unconsumed events
    worker = await spawn(
        "both", "both", "--db", db_path, "--redis", lossy_redis.url, "--users", users,
        "--events", events, "--groups", ",".join(groups), "--run", "lossy", "--tasks", 6,
        "--pace-ms", 15, env={"BUS_HANDLER_SLEEP_MS": "3", "BUS_LOG_LEVEL": "INFO"})
    await worker.ready()
    for crash in range(2):  # SIGKILL mid-stream, twice, publishers running
        await wait_until(lambda n=crash: handled_count(db_path, "g1") >= 150 + 300 * n,
                         "events handled before the crash", 40, worker)
        published_before = len(worker.published)
        lossy_redis.kill()
        await asyncio.sleep(0.4)
        lossy_redis.start()
        assert len(worker.published) < len(expected), "publishing ended before the crash"
        assert published_before > 0

    await worker.wait_line(lambda line: line == "publish-done", timeout=90)
    assert set(worker.published) == expected  # publishing never failed for the callers
    await wait_until(lambda: all(handled_count(db_path, g) >= len(expected) for g in groups),
                     "every event handled by every group", 60, worker,
                     describe=missing(db_path, groups, expected))
    await asyncio.sleep(0.5)  # late redeliveries would add rows now
    assert await _markers(lossy_redis.url) > 0  # the relay writes its markers again
    assert await worker.terminate() == 0
    for group in groups:
        assert_once_in_order(db_path, group, expected)
    log_text = worker.log.read_text(errors="replace")
    if lossy_redis.mode == "appendonly-no":  # everything was gone: the window went again
        assert "sending the outbox replay window again" in log_text
