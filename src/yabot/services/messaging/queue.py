"""`MessageQueue.enqueue`: a message row written in the caller's transaction (see the
package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import orjson

from yabot.domain.views import NewMessage
from yabot.events.handler_context import Publisher
from yabot.services.messaging.ports import MessageStore

MessageKind = Literal["reply", "notice", "broadcast"]
KINDS = ("reply", "notice", "broadcast")


def _plain(value: Any) -> Any:
    """A markup as Bot API JSON: dicts pass through, pydantic objects are dumped."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return value


def encode_params(params: dict[str, Any]) -> str:
    return orjson.dumps({k: _plain(v) for k, v in params.items() if v is not None}).decode()


class MessageQueue:
    """The send queue's writes for callers; `store` is what the sender claims from."""

    def __init__(self, store: MessageStore) -> None:
        self.store = store
        self.on_queued: Callable[[], None] | None = None  # the sender's wake, when one runs

    async def enqueue(self, tx: Publisher, *, chat_id: int, text: str,
                      reply_markup: Any = None, parse_mode: str | None = None,
                      dedupe_key: str | None = None, kind: MessageKind = "reply") -> int | None:
        """Queue a `sendMessage`; returns the row id, or None when `dedupe_key` was seen."""
        if not text:
            raise ValueError("a message needs text")
        return await self.enqueue_call(tx, chat_id=chat_id, method="sendMessage", params={
            "chat_id": chat_id, "text": text, "reply_markup": reply_markup,
            "parse_mode": parse_mode}, dedupe_key=dedupe_key, kind=kind)

    async def enqueue_call(self, tx: Publisher, *, chat_id: int, method: str,
                           params: dict[str, Any], dedupe_key: str | None = None,
                           kind: MessageKind = "reply") -> int | None:
        """Queue any Bot API call (`method` as Telegram names it, e.g. `sendInvoice`)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        ids = await self.store.insert(tx, [NewMessage(
            chat_id=int(chat_id), method=method, params=encode_params(params), kind=kind,
            dedupe_key=dedupe_key)])
        if ids and self.on_queued is not None:  # sent at once, not at the sender's next poll
            tx.on_commit(self.on_queued)
        return ids[0] if ids else None
