"""The sender: claims committed queue rows (with a lease), sends them within Telegram's
limits, and settles the outcomes, many rows per commit.

One task per chat sends that chat's rows in order; a settler commits outcomes as they
come (sent, failed, blocked, retry later). Replies and notices are at least once: a row
whose holder died is claimed again when its lease runs out. Broadcast rows are at most
once: their claim commits `sending` before the send, and one left `sending` after its
lease is counted failed. The duplicate window of a reply is the time from Telegram's
answer to the settle commit (`window_ms`, logged at stop).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from yabot.domain.clock import utcnow
from yabot.domain.views import QueuedMessage, Settlement
from yabot.logs import get_logger
from yabot.services.messaging.pacing import ChatPacer, LocalBucket, RateLimiter
from yabot.services.messaging.ports import MessageStore
from yabot.services.messaging.update_commit import ReplyClaim

log = get_logger(__name__)
UNPACED = frozenset({"answerCallbackQuery", "answerPreCheckoutQuery"})  # not chat messages


@dataclass(frozen=True)
class SendResult:
    outcome: Literal["sent", "retry_after", "blocked", "failed", "transient"]
    seconds: float = 0.0  # retry_after
    error: str = ""
    ambiguous: bool = False  # transient, and Telegram may have delivered it (network error)


SendFn = Callable[[QueuedMessage], Awaitable[SendResult]]


@dataclass(frozen=True, kw_only=True)
class SenderConfig:
    rate: float = 25.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    lease: float = 30.0
    max_in_flight: int = 200
    idle_poll: float = 0.25
    max_attempts: int = 8
    sweep_every: float = 5.0
    keep_settled: timedelta = timedelta(days=1)


@dataclass
class _Stats:
    sent: int = 0
    window_ms: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))


class Sender:
    def __init__(self, store: MessageStore, send: SendFn, *,
                 config: SenderConfig | None = None, limiter: RateLimiter | None = None) -> None:
        self.store, self.send, self.config = store, send, config or SenderConfig()
        self.limiter = limiter or LocalBucket(self.config.rate)
        self.pacer = ChatPacer(self.config.chat_rate, self.config.chat_burst)
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.stats = _Stats()
        self._chats: dict[int, deque[QueuedMessage]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._in_flight = 0
        self._pending = Settlement()
        self._answered: list[float] = []  # when Telegram answered the rows being settled
        self._settler: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.create_task(self._claim_loop(), name="message-sender")

    def wake(self) -> None:
        """Rows were committed: look for them now instead of at the next poll."""
        self._wake.set()

    def reply_claim(self) -> ReplyClaim | None:
        """A lease for replies about to commit with their update (`adopt` them after the
        commit); None while stopping or full: they are then claimed from the queue."""
        room = self.config.max_in_flight - self._in_flight
        if self._stopping or self._loop is None or room <= 0:
            return None
        return ReplyClaim(owner=self.owner, room=room,
                          until=utcnow() + timedelta(seconds=self.config.lease))

    def adopt(self, rows: list[QueuedMessage]) -> None:
        """Send rows committed already leased to this sender (see `reply_claim`); while
        stopping, put them back in the queue."""
        if self._stopping:
            self._pending.released.extend(row.id for row in rows)
            self._kick_settler()
            return
        for row in rows:
            self._dispatch(row)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, finish the sends in flight (within `timeout`), put the claimed but
        untried rows back in the queue and settle everything."""
        self._stopping = True
        self._wake.set()
        if self._loop is not None:
            await asyncio.gather(self._loop, return_exceptions=True)
        for chat_id, rows in self._chats.items():  # not started: back to the queue
            while len(rows) > (1 if chat_id in self._tasks else 0):
                self._pending.released.append(rows.pop().id)
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout)
            for task in late:
                task.cancel()
        await self._flush()
        if self._settler is not None:  # a flush started before ours: let it commit
            await asyncio.gather(self._settler, return_exceptions=True)
        window = sorted(self.stats.window_ms)
        log.info("message sender stopped", sent=self.stats.sent,
                 window_ms_p99=window[int(len(window) * 0.99)] if window else None,
                 window_ms_max=window[-1] if window else None)

    # --- claiming ------------------------------------------------------------------
    async def _claim_loop(self) -> None:
        last_sweep = 0.0
        while not self._stopping:
            try:
                if time.monotonic() - last_sweep > self.config.sweep_every:
                    last_sweep = time.monotonic()
                    await self._sweep()
                room = self.config.max_in_flight - self._in_flight
                rows = await self._claim(room) if room > 0 else []
            except Exception as exc:  # the store is down: try again shortly
                log.error("message claim failed", error=f"{type(exc).__name__}: {exc}")
                rows = []
            for row in rows:
                self._dispatch(row)
            if not rows or room <= 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.idle_poll)

    async def _claim(self, limit: int) -> list[QueuedMessage]:
        now = utcnow()
        return await self.store.claim(owner=self.owner, now=now, limit=limit,
                                      until=now + timedelta(seconds=self.config.lease))

    async def _sweep(self) -> None:
        now = utcnow()
        failed = await self.store.sweep(now=now, purge_before=now - self.config.keep_settled)
        if failed:
            log.warning("broadcast messages interrupted by a crash counted failed",
                        count=failed)

    def _dispatch(self, row: QueuedMessage) -> None:
        self._in_flight += 1
        self._chats.setdefault(row.chat_id, deque()).append(row)
        if row.chat_id not in self._tasks:
            self._tasks[row.chat_id] = asyncio.create_task(self._chat(row.chat_id))

    # --- sending -------------------------------------------------------------------
    async def _chat(self, chat_id: int) -> None:
        rows = self._chats[chat_id]
        try:
            while rows:
                row = rows[0]
                try:
                    await self._send_one(row)
                except Exception as exc:  # a bug must not lose the row: retry it later
                    log.error("message send crashed", id=row.id, error=repr(exc))
                    self._settle_retry(row, 5.0, attempts_left=True)
                rows.popleft()
                self._in_flight -= 1
                if self._in_flight == self.config.max_in_flight // 2:
                    self._wake.set()  # room for another claim
        finally:
            self._tasks.pop(chat_id, None)
            if not rows:
                self._chats.pop(chat_id, None)
            self._kick_settler()

    async def _send_one(self, row: QueuedMessage) -> None:
        if row.method not in UNPACED:
            while (wait := self.pacer.wait_time(row.chat_id)) > 0:
                if wait > self.config.lease / 3:  # do not sit on the lease
                    self._settle_retry(row, wait, attempts_left=True, count=False)
                    return
                await asyncio.sleep(wait)
        await self.limiter.acquire()
        result = await self.send(row)
        answered = time.perf_counter()
        broadcast = row.kind == "broadcast"
        if result.outcome == "sent":
            self._pending.sent.append(row.id)
            self._answered.append(answered)
        elif result.outcome == "retry_after":
            await self.limiter.pause(result.seconds)
            self._settle_retry(row, result.seconds, attempts_left=True)
        elif result.outcome == "blocked":
            self._pending.blocked.append((row.id, row.chat_id))
        elif result.outcome == "transient" and not (broadcast and result.ambiguous):
            delay = min(60.0, 0.5 * 2 ** row.attempts)
            self._settle_retry(row, delay,
                               attempts_left=row.attempts + 1 < self.config.max_attempts,
                               error=result.error)
        else:
            self._pending.failed.append((row.id, result.error or result.outcome))
        self._kick_settler()

    def _settle_retry(self, row: QueuedMessage, delay: float, *, attempts_left: bool,
                      error: str = "", count: bool = True) -> None:
        if not attempts_left:
            self._pending.failed.append((row.id, error or "too many attempts"))
            return
        self._pending.retry.append((row.id, utcnow() + timedelta(seconds=delay), int(count)))

    # --- settling ------------------------------------------------------------------
    def _kick_settler(self) -> None:
        if self._settler is None or self._settler.done():
            self._settler = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Commit the outcomes gathered so far; those that arrive meanwhile go next."""
        while _has_work(self._pending):
            batch, self._pending = self._pending, Settlement()
            answered, self._answered = self._answered, []
            for attempt in range(5):
                try:
                    await self.store.settle(batch, now=utcnow())
                    break
                except Exception as exc:  # the leases run out: rows go again (at least once)
                    log.error("message settle failed", error=type(exc).__name__,
                              attempt=attempt)
                    await asyncio.sleep(0.1 * 2 ** attempt)
            done = time.perf_counter()
            self.stats.sent += len(batch.sent)
            self.stats.window_ms.extend((done - a) * 1000 for a in answered)
            if batch.retry or batch.released:
                self._wake.set()


def _has_work(s: Settlement) -> bool:
    return bool(s.sent or s.failed or s.retry or s.released or s.blocked)
