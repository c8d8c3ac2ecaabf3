"""The update inbox: every update (webhook or polling) is recorded in `processed_updates`
with its `update_received` event in one commit, then processed from there.

`UpdateProcessor` feeds recorded updates to the dispatcher on `workers` queues chosen by
user, so one user's updates run in order and users run concurrently. A failed update stays
pending and is retried with backoff; at start-up whatever was left is processed first.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiogram.types import Update

from yabot.domain.events import UpdateReceived, UpdateReceivedPayload
from yabot.domain.views import InboxRow
from yabot.events.bus import EventBus
from yabot.logs import get_logger
from yabot.observability.metrics import Metrics
from yabot.services.messaging.update_inbox import UpdateRecords

log = get_logger(__name__)
UPDATE_KINDS = ("message", "edited_message", "callback_query", "message_reaction",
                "my_chat_member", "inline_query")


def update_kind(raw: dict[str, Any]) -> str:
    return next((k for k in UPDATE_KINDS if k in raw),
                next((k for k in raw if k != "update_id"), "unknown"))


def update_user_id(raw: dict[str, Any]) -> int | None:
    """The Telegram user an update comes from, if any."""
    body = raw.get(update_kind(raw))
    if not isinstance(body, dict):
        return None
    user = body.get("from") or body.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), int):
        return int(user["id"])
    return None


def parse_update(body: bytes | str) -> dict[str, Any]:
    """A raw update from JSON; ValueError when it is not a Telegram update."""
    raw = orjson.loads(body)
    if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int) \
            or isinstance(raw.get("update_id"), bool) or not 0 <= raw["update_id"] < 2**63:
        raise ValueError("an update is a JSON object with an integer update_id in [0, 2**63)")
    Update.model_validate(raw)  # raises a ValidationError (a ValueError) when malformed
    return raw


@dataclass
class _Pending:
    update_id: int
    payload: str
    user: int | None
    kind: str
    done: asyncio.Future[bool]


class UpdateInbox:
    """Records updates durably; tells the processor (when attached) about fresh ones.

    Concurrent `record` calls share one commit (group commit): each caller still returns
    only after its own update is committed.
    """

    def __init__(self, bus: EventBus, records: UpdateRecords,
                 metrics: Metrics | None = None) -> None:
        self.bus, self.records, self.metrics = bus, records, metrics
        self.on_record: Callable[[InboxRow, int | None], None] | None = None
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, raw: dict[str, Any]) -> bool:
        """Commit the update and its `update_received`; False for a redelivered update_id."""
        item = _Pending(int(raw["update_id"]),
                        orjson.dumps(raw).decode(),
                        update_user_id(raw), update_kind(raw),
                        asyncio.get_running_loop().create_future())
        if self.metrics is not None:
            self.metrics.webhook_updates.labels(item.kind).inc()
        self._pending.append(item)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(item.done)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                fresh = await self._commit(batch)
            except Exception as exc:
                for item in batch:
                    item.done.set_exception(exc)
                continue
            for item in batch:
                new = item.update_id in fresh
                fresh.discard(item.update_id)  # a second copy in the same batch is a repeat
                if not new:
                    log.info("redelivered update ignored", update_id=item.update_id)
                elif self.on_record is not None:
                    self.on_record(InboxRow(item.update_id, item.payload, 0), item.user)
                item.done.set_result(new)

    async def _commit(self, batch: list[_Pending]) -> set[int]:
        first: dict[int, _Pending] = {}
        for item in batch:
            first.setdefault(item.update_id, item)
        async with self.bus.transaction() as tx:
            fresh = await self.records.record(tx, [(i.update_id, i.payload)
                                                   for i in first.values()])
            events = [UpdateReceived(
                user_id=None if i.user is None else str(i.user),
                payload=UpdateReceivedPayload(update_id=i.update_id, update_type=i.kind))
                for i in first.values() if i.update_id in fresh]
            if events:
                await tx.publish(*events)
        return fresh


def partition(user: int | None, workers: int) -> int:
    return zlib.crc32(str(user).encode()) % workers


class Backoff:
    def __init__(self, base: float = 1.0, cap: float = 60.0) -> None:
        self.base, self.cap = base, cap

    def delay(self, attempts: int) -> float:
        return float(min(self.cap, self.base * 2 ** max(0, attempts - 1)))


def queue_for(queues: list[asyncio.Queue[InboxRow]], row: InboxRow,
              user: int | None) -> asyncio.Queue[InboxRow]:
    return queues[partition(user, len(queues))]


def user_of_payload(payload: str) -> int | None:
    try:
        return update_user_id(orjson.loads(payload))
    except ValueError:
        return None
