"""PaymentsService: VIP offers, the pre-checkout rule, once-per-charge grants, refunds.

A payment, the grant it buys and the messages that confirm it commit in one transaction
keyed by Telegram's charge id, so a redelivered update or a crash between receipt and grant
never grants twice, never loses the grant, and the user is told once.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from yabot.domain.clock import utcnow
from yabot.domain.errors import NotFoundError
from yabot.domain.events import (
    PaymentReceived,
    PaymentReceivedPayload,
    PaymentRefunded,
    PaymentRefundedPayload,
    SubscriptionStarted,
    SubscriptionStartedPayload,
)
from yabot.domain.payments import CURRENCY, PLAN_DAYS, Offer, Payment, SupportRequest
from yabot.events.bus import EventBus
from yabot.faults import checkpoint
from yabot.logs import get_logger
from yabot.services.messaging import MessageQueue
from yabot.services.payments.errors import GatewayUnavailableError
from yabot.services.payments.ports import PaymentsStore, TelegramGateway
from yabot.services.subscriptions.service import SubscriptionService
from yabot.settings import PaymentSettings

log = get_logger(__name__)
OFFER_TTL = timedelta(days=1)


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    new: bool  # False: this charge was recorded before (nothing changed now)
    started: bool = False  # a new plan (not a renewal)
    after_refund: bool = False  # a renewal of a subscription whose charge was refunded


@dataclass(frozen=True)
class Notice:
    """A message to the payer, queued in the payment's transaction."""
    text: str
    reply_markup: Any = None


Confirm = Callable[[PaymentOutcome], Sequence[Notice]]


@dataclass(frozen=True)
class DayTotal:
    day: date
    payments: int
    stars: int
    refunded: int


class PaymentsService:
    def __init__(self, *, store: PaymentsStore, bus: EventBus,
                 subscriptions: SubscriptionService, settings: PaymentSettings,
                 messages: MessageQueue) -> None:
        self.store, self.bus, self.subscriptions = store, bus, subscriptions
        self.settings, self.messages = settings, messages
        self.gateway: TelegramGateway | None = None

    def attach_gateway(self, gateway: TelegramGateway | None) -> None:
        self.gateway = gateway

    @property
    def price(self) -> int:
        return self.settings.vip_price_stars

    async def create_offer(self, user_id: str) -> Offer:
        """A fresh server-side offer for this user (its id is the unguessable payload)."""
        offer = self.draft_offer(user_id)
        await self.save_offer(offer)
        return offer

    def draft_offer(self, user_id: str) -> Offer:
        """An offer not stored yet: ask Telegram for its invoice link, then `save_offer`
        (the bot's update then holds no write transaction during that call)."""
        now = utcnow()
        return Offer(offer_id=secrets.token_urlsafe(18), user_id=user_id, plan_type="vip",
                     amount=self.price, currency=CURRENCY, created_at=now,
                     expires_at=now + OFFER_TTL)

    async def save_offer(self, offer: Offer) -> None:
        await self.store.add_offer(offer)

    async def check_pre_checkout(self, user_id: str, payload: str, currency: str,
                                 amount: int) -> str | None:
        """None when the bot issued exactly this to this user; else why not."""
        if not payload.startswith("vip:"):
            return "unknown_offer"
        offer = await self.store.get_offer(payload.removeprefix("vip:"))
        if offer is None or offer.user_id != user_id:
            return "unknown_offer"
        if currency != offer.currency or amount != offer.amount:
            return "price_mismatch"
        if offer.used or offer.expires_at <= utcnow():
            return "stale_offer"
        return None

    async def record_payment(self, *, user_id: str, charge_id: str, payload: str, amount: int,
                             currency: str, is_recurring: bool = False,
                             confirm: Confirm | None = None) -> PaymentOutcome:
        """Record the payment and grant or extend VIP by 30 days, once per charge id; the
        messages `confirm` returns are queued in the same commit (dedupe key per charge).

        A renewal of a subscription whose earlier charge was refunded (Telegram charged
        again although the refund asked it to stop) is recorded and granted like any paid
        period, logged as an ALERT for an operator to refund if they wish, and the
        subscription is cancelled again."""
        now = utcnow()
        checkpoint("payments.before_grant")
        async with self.bus.transaction() as tx:
            current = await self.store.current_plan(tx, user_id)
            if current is None:
                raise NotFoundError("user", user_id)
            renewal = current.active_vip(now)
            if renewal and current.end_date is None:
                end = None  # an open-ended VIP plan: nothing to extend
            else:
                base = current.end_date if renewal and current.end_date else now
                end = max(base, now) + timedelta(days=PLAN_DAYS)
            offer_id = payload.removeprefix("vip:") if payload.startswith("vip:") else None
            after_refund = bool(is_recurring and offer_id
                                and await self.store.offer_refunded(tx, offer_id))
            payment = Payment(charge_id=charge_id, user_id=user_id, offer_id=offer_id,
                              amount=amount, currency=currency, status="paid",
                              is_recurring=is_recurring, created_at=now, plan_end=end)
            if not await self.store.insert_payment(tx, payment):
                existing = await self.store.payment_in(tx, charge_id)
                assert existing is not None
                log.info("payment already recorded", charge_id=charge_id, user_id=user_id)
                return PaymentOutcome(existing, new=False)
            if end is not None:  # publishes subscription_updated (active, vip)
                await self.subscriptions.set_plan(user_id, "vip", end, tx=tx)
            events: list[PaymentReceived | SubscriptionStarted] = [PaymentReceived(
                user_id=user_id, payload=PaymentReceivedPayload(
                    charge_id=charge_id, amount=amount, currency=currency,
                    is_recurring=is_recurring, offer_id=offer_id, plan_end=end,
                    after_refund=after_refund))]
            if not renewal:
                events.append(SubscriptionStarted(user_id=user_id, payload=(
                    SubscriptionStartedPayload(plan_type="vip", end_date=end,
                                               charge_id=charge_id))))
            await tx.publish(*events)
            outcome = PaymentOutcome(payment, new=True, started=not renewal,
                                     after_refund=after_refund)
            for n, notice in enumerate(confirm(outcome) if confirm else ()):
                await self.messages.enqueue(tx, chat_id=int(user_id), text=notice.text,
                                            reply_markup=notice.reply_markup,
                                            dedupe_key=f"payment:{charge_id}:{n}")
            checkpoint("payments.granted_uncommitted")
        log.info("payment recorded", charge_id=charge_id, user_id=user_id, amount=amount,
                 renewal=renewal)
        if after_refund:
            log.warning("ALERT: renewal of a refunded subscription recorded and granted",
                        charge_id=charge_id, user_id=user_id, offer_id=offer_id)
            await self._cancel_subscription(user_id, charge_id)
        return outcome

    async def refund(self, user_id: str, charge_id: str, *, by: str | None = None) -> bool:
        """Refund through Telegram, stop a subscription charge from renewing
        (`editUserStarSubscription`), then end the plan and mark the payment `refunded`.
        False when it was refunded before (nothing more happens). NotFoundError for an
        unknown charge; PaymentRefusedError (nothing changed) when Telegram says no."""
        payment = await self.store.get_payment(charge_id)
        if payment is None or payment.user_id != user_id:
            raise NotFoundError("payment", charge_id)
        if payment.status == "refunded":
            return False
        if self.gateway is None:
            raise GatewayUnavailableError("no Telegram bot to call refundStarPayment")
        await self.gateway.refund_star_payment(int(user_id), charge_id)
        if payment.is_subscription:
            await self._cancel_subscription(user_id, charge_id)
        async with self.bus.transaction() as tx:
            if not await self.store.mark_refunded(tx, charge_id, utcnow()):
                return False  # a concurrent refund won
            await self.subscriptions.set_plan(user_id, "free", tx=tx)  # ends it now
            await tx.publish(PaymentRefunded(user_id=user_id, payload=PaymentRefundedPayload(
                charge_id=charge_id, amount=payment.amount, currency=payment.currency, by=by)))
        log.info("payment refunded", charge_id=charge_id, user_id=user_id, by=by)
        return True

    async def _cancel_subscription(self, user_id: str, charge_id: str) -> bool:
        """Ask Telegram to renew it no more. A failure is logged, not raised: the refund
        stands, and a renewal that still comes is handled by `record_payment`."""
        if self.gateway is None:
            return False
        try:
            await self.gateway.cancel_subscription(int(user_id), charge_id)
        except Exception as exc:
            log.warning("ALERT: could not cancel the Stars subscription", user_id=user_id,
                        charge_id=charge_id, error=f"{type(exc).__name__}: {exc}")
            return False
        log.info("Stars subscription cancelled", user_id=user_id, charge_id=charge_id)
        return True

    async def payments(self, user_id: str, limit: int = 100) -> list[Payment]:
        if not await self.store.user_exists(user_id):
            raise NotFoundError("user", user_id)
        return await self.store.user_payments(user_id, limit)

    async def recent(self, days: int = 30) -> tuple[list[Payment], list[DayTotal]]:
        """Payments of the last `days` days, newest first, and their totals per UTC day."""
        rows = await self.store.payments_since(utcnow() - timedelta(days=days))
        totals: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
        for p in rows:
            day = totals[p.created_at.date()]
            day[0] += 1
            day[1 if p.status == "paid" else 2] += p.amount
        return rows, [DayTotal(d, n, stars, refunded)
                      for d, (n, stars, refunded) in sorted(totals.items(), reverse=True)]

    async def open_support_request(self, user_id: str, text: str) -> int:
        return await self.store.add_support_request(user_id, text.strip()[:4000], utcnow())

    async def support_requests(self, limit: int = 50,
                               user_id: str | None = None) -> list[SupportRequest]:
        return await self.store.support_requests(limit, user_id)

