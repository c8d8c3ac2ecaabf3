"""What handling one update leaves to commit, and the one transaction that commits it for
many updates at once: done marks, events, replies (queue rows), activity bookkeeping.

With a `ReplyClaim`, the replies to the user who wrote (unblocked in the same commit) are
inserted already leased to the in-process sender, which gets them after the commit: no
claim write of their own. Other rows wait in the queue for a claim as before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from yabot.domain.clock import utcnow
from yabot.domain.events import BaseEvent
from yabot.domain.views import NewMessage, QueuedMessage
from yabot.events.handler_context import Publisher
from yabot.events.sequencing import publish_sequenced
from yabot.services.messaging.ports import MessageStore


@dataclass
class UpdateEffects:
    """Filled while an update is handled (middlewares, captured replies)."""

    update_id: int | None = None
    events: list[BaseEvent] = field(default_factory=list)
    sequenced: list[BaseEvent] = field(default_factory=list)  # numbered per user at commit
    calls: list[tuple[int, str, str]] = field(default_factory=list)  # chat, method, params
    user_id: str | None = None  # a registered user: last activity
    from_chat: int | None = None  # the user who wrote (unblocked if they had blocked us)
    command: str | None = None
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class ReplyClaim:
    """The in-process sender's lease for replies committed with their update."""

    owner: str
    until: datetime
    room: int  # at most this many rows claimed at once


@dataclass(frozen=True)
class Committed:
    queued: int  # rows left in the queue for a claim
    claimed: list[QueuedMessage]  # rows leased to `ReplyClaim.owner`: hand them over


async def commit_updates(store: MessageStore, tx: Publisher, batch: list[UpdateEffects], *,
                         done: bool = True, claim: ReplyClaim | None = None) -> Committed:
    """Write the batch in `tx` (the caller commits)."""
    if done:
        ids = [e.update_id for e in batch if e.update_id is not None]
        if ids:
            await store.mark_done(tx, ids)
    events = [ev for e in batch for ev in e.events]
    if events:
        await tx.publish(*events)
    if numbered := [ev for e in batch for ev in e.sequenced]:
        await publish_sequenced(tx, *numbered)
    await store.unblock(tx, sorted({e.from_chat for e in batch if e.from_chat is not None}))
    last: dict[str, datetime] = {}
    counts: dict[tuple[str, str], tuple[int, datetime]] = {}
    for e in batch:
        if e.user_id is None:
            continue
        last[e.user_id] = max(e.at, last.get(e.user_id, e.at))
        if e.command is not None:
            n, _ = counts.get((e.user_id, e.command), (0, e.at))
            counts[(e.user_id, e.command)] = (n + 1, e.at)
    await store.record_activity(tx, last, counts)
    queued: list[NewMessage] = []
    leased: list[NewMessage] = []
    for e in batch:
        for chat, method, params in e.calls:
            mine = claim is not None and chat == e.from_chat and len(leased) < claim.room
            (leased if mine else queued).append(NewMessage(
                chat_id=chat, method=method, params=params, kind="reply"))
    return Committed(len(await store.insert(tx, queued)),
                     await store.insert_claimed(tx, leased, owner=claim.owner,
                                                until=claim.until) if claim and leased else [])
