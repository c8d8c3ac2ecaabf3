"""Payments context types: an issued offer, a recorded Stars payment, channel removals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

CURRENCY = "XTR"  # Telegram Stars
PLAN_DAYS = 30
SUBSCRIPTION_PERIOD = 30 * 24 * 3600  # seconds: the only period Telegram accepts
RemovalReason = Literal["expired", "cancelled", "refunded", "reconcile"]


@dataclass(frozen=True, kw_only=True)
class Offer:
    """An invoice the bot issued to one user; the invoice payload names it."""

    offer_id: str
    user_id: str
    plan_type: str
    amount: int
    currency: str
    created_at: datetime
    expires_at: datetime
    used: bool = False

    @property
    def payload(self) -> str:
        return f"vip:{self.offer_id}"


@dataclass(frozen=True, kw_only=True)
class Payment:
    charge_id: str
    user_id: str
    offer_id: str | None
    amount: int
    currency: str
    status: str  # paid | refunded
    is_recurring: bool
    created_at: datetime
    plan_end: datetime | None = None
    refunded_at: datetime | None = None

    @property
    def is_subscription(self) -> bool:
        """A charge of a Stars subscription: every /vip offer is one (its renewals too)."""
        return self.is_recurring or self.offer_id is not None


@dataclass(frozen=True, kw_only=True)
class CurrentPlan:
    plan_type: str
    status: str
    end_date: datetime | None

    def active_vip(self, now: datetime) -> bool:
        return (self.plan_type == "vip" and self.status == "active"
                and (self.end_date is None or self.end_date > now))


@dataclass(frozen=True, kw_only=True)
class SupportRequest:
    id: int
    user_id: str
    text: str
    status: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Removal:
    """A user to take out of the VIP channel (claimed by one process, then done)."""

    id: int
    user_id: str
    reason: str
    attempts: int
