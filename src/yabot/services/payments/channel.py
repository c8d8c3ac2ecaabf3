"""ChannelService: who may enter the VIP channel, who must leave, and the daily check.

A plan's end (expiry, cancellation, refund) queues one removal in the transaction that
handles its `subscription_updated` (group `payments`, exactly once per event); a scheduler
job claims queued removals (one process per removal) and has the bot carry them out; the
user's notice is queued (durable send queue) in the commit that marks the removal done.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta
from typing import Literal

from yabot.domain.clock import utcnow
from yabot.domain.errors import NotFoundError
from yabot.domain.events import (
    BaseEvent,
    ChannelMemberPayload,
    SubscriptionExpired,
    SubscriptionExpiredPayload,
    SubscriptionUpdated,
    UserJoinedChannel,
    UserLeftChannel,
)
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext, Publisher
from yabot.logs import get_logger
from yabot.services.messaging import MessageQueue
from yabot.services.payments.ports import ChannelStore, PaymentsStore
from yabot.services.payments.service import PaymentsService
from yabot.services.subscriptions.service import SubscriptionService

log = get_logger(__name__)
GROUP = "payments"
CLAIM_LEASE = timedelta(seconds=60)
REFUND_WINDOW = timedelta(minutes=5)
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted")


def is_member(status: str, is_member_flag: bool | None = None) -> bool:
    """Telegram's `ChatMember.status` (a restricted user may or may not be a member)."""
    if status == "restricted":
        return bool(is_member_flag)
    return status in MEMBER_STATUSES


class ChannelService:
    def __init__(self, *, chat_id: int | None, channel: ChannelStore, payments: PaymentsStore,
                 bus: EventBus, subscriptions: SubscriptionService,
                 payment_service: PaymentsService, messages: MessageQueue) -> None:
        self.chat_id, self.channel, self.payments_store = chat_id, channel, payments
        self.messages = messages
        self.bus, self.subscriptions, self.payment_service = bus, subscriptions, payment_service
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    @property
    def enabled(self) -> bool:
        return self.chat_id is not None

    def register(self) -> None:
        """Subscribe (before `bus.start()`)."""
        self.bus.add_subscriber("subscription_updated", self._on_updated, group=GROUP)

    async def join_decision(self, user_id: str, chat_id: int
                            ) -> Literal["approve", "decline", "ignore"]:
        if not self.enabled or chat_id != self.chat_id:
            return "ignore"
        return "approve" if await self.subscriptions.is_vip(user_id) else "decline"

    async def member_changed(self, user_id: str, chat_id: int, joined: bool,
                             status: str) -> bool:
        """Record a `chat_member` change; publishes user_joined/left_channel when it is one."""
        if not self.enabled or chat_id != self.chat_id:
            return False
        async with self.bus.transaction() as tx:
            return await self._set_member(tx, user_id, chat_id, joined, status)

    async def _set_member(self, tx: Publisher, user_id: str, chat_id: int, joined: bool,
                          status: str) -> bool:
        changed = await self.channel.set_member(tx, user_id,
                                                "member" if joined else "left", utcnow())
        if changed:
            cls = UserJoinedChannel if joined else UserLeftChannel
            await tx.publish(cls(user_id=user_id, payload=ChannelMemberPayload(
                chat_id=chat_id, status=status)))
        return changed

    async def _is_vip(self, user_id: str) -> bool:
        try:
            return await self.subscriptions.is_vip(user_id)
        except NotFoundError:  # deleted, or never registered: not VIP
            return False

    async def _on_updated(self, event: BaseEvent, ctx: HandlerContext) -> None:
        if not isinstance(event, SubscriptionUpdated) or event.user_id is None:
            return
        status, plan = event.payload.status, event.payload.plan_type
        if status == "expired" and plan in ("premium", "vip"):
            await ctx.publish(event.follow(SubscriptionExpired,
                                           payload=SubscriptionExpiredPayload(plan_type=plan)))
        if not self.enabled or plan != "vip" or status not in ("expired", "cancelled"):
            return
        now = utcnow()
        reason: str = status
        if status == "cancelled" and await self.payments_store.refunded_since(
                ctx, event.user_id, now - REFUND_WINDOW):
            reason = "refunded"
        await self.channel.add_removal(ctx, f"event:{event.event_id}", event.user_id,
                                       reason, now)

    async def run_removals(self) -> int:
        """Carry out the queued removals this process claims; returns how many were done."""
        gateway = self.payment_service.gateway
        if not self.enabled or gateway is None:
            return 0
        assert self.chat_id is not None
        done = 0
        for removal in await self.channel.claim_removals(self.owner, utcnow(), CLAIM_LEASE):
            if await self._is_vip(removal.user_id):  # renewed meanwhile
                await self.channel.finish_removal(removal, self.owner, "skipped", utcnow())
                continue
            try:
                await gateway.remove_from_channel(self.chat_id, int(removal.user_id))
                text = await gateway.removal_text(int(removal.user_id), removal.reason)
            except Exception as exc:
                log.warning("channel removal failed", user_id=removal.user_id,
                            attempt=removal.attempts, error=f"{type(exc).__name__}: {exc}")
                await self.channel.finish_removal(removal, self.owner, "pending", utcnow(),
                                                  error=f"{type(exc).__name__}: {exc}")
                continue
            async with self.bus.transaction() as tx:  # done, gone and told: one commit
                await self.channel.finish_removal(removal, self.owner, "done", utcnow(),
                                                  tx=tx)
                await self._set_member(tx, removal.user_id, self.chat_id, False, "kicked")
                await self.messages.enqueue(tx, chat_id=int(removal.user_id), text=text,
                                            dedupe_key=f"channel-removal:{removal.id}",
                                            kind="notice")
            log.info("removed from the VIP channel", user_id=removal.user_id,
                     reason=removal.reason)
            done += 1
        return done

    async def sweep(self) -> int:
        """Every few seconds: end due plans, send expiring notices, carry out removals
        (so a removal lands well within 60 s of a plan's end)."""
        await self.subscriptions.expire_due()
        await self.subscriptions.notify_expiring()
        return await self.run_removals()

    async def reconcile(self) -> int:
        """Daily: queue the removal of every member seen joining without an active VIP."""
        if not self.enabled:
            return 0
        now, queued = utcnow(), 0
        for user_id in await self.channel.members():
            if await self._is_vip(user_id):
                continue
            async with self.bus.transaction() as tx:
                if await self.channel.add_removal(tx, f"reconcile:{now:%Y-%m-%d}:{user_id}",
                                                  user_id, "reconcile", now):
                    queued += 1
        if queued:
            log.info("channel reconciliation queued removals", count=queued)
        return queued + await self.run_removals()
