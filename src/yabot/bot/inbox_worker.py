"""UpdateProcessor: runs the inbox's pending updates through the dispatcher, once each.

While an update is handled its replies are captured (`bot/outgoing.py`) and it runs in a
unit of work (`storage/sql/unit_of_work.py`). If the handler wrote (registration, a choice,
a purchase), its done mark, events, replies and activity bookkeeping join that transaction
and commit with its writes, once. If it wrote nothing, they commit with other such updates
(leader/follower: a commit starts at once when none is running, and updates done meanwhile
share the next). With `sender` set, the replies are committed already leased to it and
handed over after the commit (no claim write); `on_commit` wakes it for the rest.

A `pre_checkout_query` skips the line: it has its own queue and worker (Telegram cancels
the payment unless it is answered within 10 s, whatever backlog the other queues hold).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

import orjson
from aiogram import Bot, Dispatcher
from aiogram.types import Update

from yabot.bot.inbox import Backoff, UpdateInbox, queue_for, user_of_payload
from yabot.bot.outgoing import CAPTURE, Capture
from yabot.domain.views import InboxRow
from yabot.events.handler_context import Publisher
from yabot.faults import checkpoint
from yabot.logs import get_logger
from yabot.services.messaging.sender import Sender
from yabot.services.messaging.update_commit import Committed, UpdateEffects
from yabot.services.messaging.update_inbox import UpdateRecords

log = get_logger(__name__)
PRIORITY_KEY = '"pre_checkout_query":'  # as a JSON key (inside a string it is escaped)


def is_priority(payload: str) -> bool:
    """Updates answered ahead of any backlog: pre-checkout queries."""
    return PRIORITY_KEY in payload


class UpdateProcessor:
    def __init__(self, *, inbox: UpdateInbox, records: UpdateRecords, dispatcher: Dispatcher,
                 bot: Bot, workers: int = 8, max_attempts: int = 5,
                 backoff: Backoff | None = None) -> None:
        self.inbox, self.records, self.dp, self.bot = inbox, records, dispatcher, bot
        self.max_attempts, self.backoff = max_attempts, backoff or Backoff()
        self.queues: list[asyncio.Queue[InboxRow]] = [asyncio.Queue() for _ in range(workers)]
        self.fast: asyncio.Queue[InboxRow] = asyncio.Queue()  # pre-checkout queries
        self._queued: set[int] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._timers: deque[asyncio.TimerHandle] = deque(maxlen=10_000)
        self._done: list[UpdateEffects] = []
        self.on_commit: Callable[[], None] | None = None
        self.sender: Sender | None = None  # replies go to it already claimed
        self._finisher: asyncio.Task[None] | None = None
        self.processed = 0

    async def start(self) -> int:
        """Start the workers and queue what an earlier run left; returns how many."""
        self._tasks = [asyncio.create_task(self._work(q), name=f"bot-updates-{i}")
                       for i, q in enumerate(self.queues)]
        self._tasks.append(asyncio.create_task(self._work(self.fast), name="bot-updates-fast"))
        self.inbox.on_record = self.submit
        left, after = 0, None
        while rows := await self.records.pending(after=after):
            for row in rows:
                self.submit(row, user_of_payload(row.payload))
            left, after = left + len(rows), rows[-1].update_id
        if left:
            log.info("processing updates left from an earlier run", count=left)
        return left

    def pending(self) -> int:
        """Updates queued here and not yet handled."""
        return sum(q.qsize() for q in self._all_queues())

    def _all_queues(self) -> list[asyncio.Queue[InboxRow]]:
        return [*self.queues, self.fast]

    def _queue(self, row: InboxRow, user: int | None) -> asyncio.Queue[InboxRow]:
        return self.fast if is_priority(row.payload) else queue_for(self.queues, row, user)

    def submit(self, row: InboxRow, user: int | None) -> None:
        if row.update_id in self._queued:
            return
        self._queued.add(row.update_id)
        self._queue(row, user).put_nowait(row)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop intake, finish the queued updates within `timeout` (the rest stays pending)."""
        self.inbox.on_record = None
        for timer in self._timers:
            timer.cancel()
        try:
            await asyncio.wait_for(asyncio.gather(*(q.join() for q in self._all_queues())),
                                   timeout)
        except TimeoutError:
            log.warning("updates left pending at shutdown", count=self.pending())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._finisher is not None:
            await asyncio.gather(self._finisher, return_exceptions=True)
        log.info("bot update processor stopped", processed=self.processed)

    async def _work(self, queue: asyncio.Queue[InboxRow]) -> None:
        while True:
            row = await queue.get()
            try:
                await self._process(row)
            except Exception as exc:  # never let one update stop the worker
                log.error("update processing crashed", update_id=row.update_id,
                          error=f"{type(exc).__name__}: {exc}")
            finally:
                queue.task_done()

    async def _process(self, row: InboxRow) -> None:
        attempt = row.attempts + 1
        start = time.perf_counter()
        effects = UpdateEffects(update_id=row.update_id)  # filled by the middlewares
        capture = Capture(chat_id=user_of_payload(row.payload))
        token = CAPTURE.set(capture)
        try:
            own = await self._handle(row, attempt, effects, capture)
        except Exception as exc:
            await self._failed(row, attempt, exc, UpdateEffects(events=effects.events,
                                                                 calls=capture.calls))
            return
        finally:
            CAPTURE.reset(token)
        if own is not None:  # after CAPTURE's reset: tasks started now copy the context
            self._after_own_commit(row, *own)
        else:  # it wrote nothing itself: its effects share the next group commit
            effects.calls = capture.calls
            self._done.append(effects)
            if self._finisher is None or self._finisher.done():
                self._finisher = asyncio.create_task(self._finish())
        self.processed += 1
        log.debug("update processed", update_id=row.update_id,
                  ms=round((time.perf_counter() - start) * 1000, 1))

    async def _handle(self, row: InboxRow, attempt: int, effects: UpdateEffects,
                      capture: Capture) -> tuple[Publisher, Committed] | None:
        """Run the update in a unit of work: if the handler wrote, its writes, events, done
        mark, replies and bookkeeping commit here, in one transaction (not None)."""
        uow = self.inbox.bus.db.unit_of_work()
        try:
            with uow.current():
                update = Update.model_validate(orjson.loads(row.payload),
                                               context={"bot": self.bot})
                await self.dp.feed_update(self.bot, update, inbox_attempt=attempt,
                                          update_effects=effects)
                if not uow.begun:
                    return None
                effects.calls = capture.calls
                tx = Publisher(conn=uow.conn)  # type: ignore[arg-type]  # begun: set
                claim = None if self.sender is None else self.sender.reply_claim()
                try:
                    committed = await self.records.commit(tx, [effects], claim=claim)
                    checkpoint("update.uncommitted")
                    await uow.commit()
                except Exception:  # rolled back: neither its replies nor its events go out
                    capture.calls.clear()
                    effects.events.clear()
                    raise
        finally:
            if not uow.closed:  # an error, or a cancellation: nothing of it stays
                await uow.rollback()
        tx.on_commit(uow.committed)
        return tx, committed

    def _after_own_commit(self, row: InboxRow, tx: Publisher, committed: Committed) -> None:
        if tx.published:
            self.inbox.bus.notify()
        tx.committed()
        self._hand_over(committed)
        self._queued.discard(row.update_id)

    def _hand_over(self, committed: Committed) -> None:
        """After a commit: leased replies to the sender, and a wake for the queued rest."""
        if committed.claimed and self.sender is not None:
            self.sender.adopt(committed.claimed)
        self._committed(committed.queued > 0)

    async def _failed(self, row: InboxRow, attempt: int, exc: Exception,
                      failed: UpdateEffects) -> None:
        """Count the attempt with its events (outcome "error") and apology; retry later."""
        final = attempt >= self.max_attempts
        try:
            async with self.inbox.bus.transaction() as tx:
                await self.records.mark_failed(tx, row.update_id,
                                                f"{type(exc).__name__}: {exc}", final=final)
                await self.records.commit(tx, [failed], done=False)
            self._committed(bool(failed.calls))
        except Exception as db_exc:  # the row stays pending: retried here or at start
            log.error("could not record the failed attempt", update_id=row.update_id,
                      error=type(db_exc).__name__)
        if final:
            self._queued.discard(row.update_id)
            log.error("update given up", update_id=row.update_id, attempts=attempt)
            return
        delay = self.backoff.delay(attempt)
        log.warning("update will be retried", update_id=row.update_id,
                    attempt=attempt, delay=delay)
        retry = InboxRow(row.update_id, row.payload, attempt)
        self._timers.append(asyncio.get_running_loop().call_later(
            delay, self._requeue, retry))

    def _requeue(self, row: InboxRow) -> None:
        if self.inbox.on_record is None:
            return  # stopping: it stays pending for the next start
        self._queue(row, user_of_payload(row.payload)).put_nowait(row)

    def _committed(self, queued: bool) -> None:
        if queued and self.on_commit is not None:
            self.on_commit()

    async def _finish(self) -> None:
        """Commit processed updates (done marks, events, replies, bookkeeping) together."""
        while self._done:
            batch, self._done = self._done, []
            ids = [e.update_id for e in batch if e.update_id is not None]
            for attempt in range(5):
                try:
                    claim = None if self.sender is None else self.sender.reply_claim()
                    async with self.inbox.bus.transaction() as tx:
                        committed = await self.records.commit(tx, batch, claim=claim)
                    self._hand_over(committed)
                    break
                except Exception as exc:  # left pending: processed again at the next start
                    log.error("could not mark updates processed", count=len(ids),
                              error=type(exc).__name__)
                    await asyncio.sleep(0.2 * 2 ** attempt)
            self._queued.difference_update(ids)
