"""Payments and the VIP channel: Stars payments, refunds, plan start and end, membership."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from yabot.domain.events.base import BaseEvent, Payload


class PaymentReceivedPayload(Payload):
    charge_id: str = Field(min_length=1)
    amount: int = Field(ge=0)
    currency: str
    is_recurring: bool = False
    offer_id: str | None = None
    plan_end: datetime | None = None
    after_refund: bool = False  # a renewal of a subscription whose charge was refunded


class PaymentReceived(BaseEvent):
    """A `successful_payment` was recorded (once per Telegram charge id)."""

    event_type: Literal["payment_received"] = "payment_received"
    payload: PaymentReceivedPayload


class PaymentRefundedPayload(Payload):
    charge_id: str = Field(min_length=1)
    amount: int = Field(ge=0)
    currency: str
    by: str | None = None  # who asked for it (API client or operator)


class PaymentRefunded(BaseEvent):
    """Telegram refunded the Stars; the plan ended now."""

    event_type: Literal["payment_refunded"] = "payment_refunded"
    payload: PaymentRefundedPayload


class SubscriptionStartedPayload(Payload):
    plan_type: Literal["premium", "vip"]
    end_date: datetime | None = None
    charge_id: str | None = None


class SubscriptionStarted(BaseEvent):
    """A paid plan began for a user who had none active (a renewal is `subscription_updated`)."""

    event_type: Literal["subscription_started"] = "subscription_started"
    payload: SubscriptionStartedPayload


class SubscriptionExpiredPayload(Payload):
    plan_type: Literal["free", "premium", "vip"] | None = None


class SubscriptionExpired(BaseEvent):
    """A paid plan reached its end date without a renewal."""

    event_type: Literal["subscription_expired"] = "subscription_expired"
    payload: SubscriptionExpiredPayload


class ChannelMemberPayload(Payload):
    chat_id: int
    status: str  # Telegram's new member status: member, administrator, left, kicked, ...


class UserJoinedChannel(BaseEvent):
    event_type: Literal["user_joined_channel"] = "user_joined_channel"
    payload: ChannelMemberPayload


class UserLeftChannel(BaseEvent):
    event_type: Literal["user_left_channel"] = "user_left_channel"
    payload: ChannelMemberPayload


PAYMENT_EVENTS: tuple[type[BaseEvent], ...] = (
    PaymentReceived, PaymentRefunded, SubscriptionStarted, SubscriptionExpired,
    UserJoinedChannel, UserLeftChannel)
