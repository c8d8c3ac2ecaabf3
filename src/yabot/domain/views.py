"""What the domain services take and return: plain frozen models, shared by API, bot and admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yabot.domain.models import NarrativeFragment, Preferences, UserDocument

PlanType = Literal["free", "premium", "vip"]
PlanStatus = Literal["active", "inactive", "cancelled", "expired"]


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class TelegramUser(View):
    """The `from` of a Telegram update: what registration needs."""

    id: int = Field(gt=0)
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language_code: str | None = None


class Profile(View):
    user_id: str
    telegram_user_id: int
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    registration_date: datetime | None = None
    last_activity: datetime | None = None
    is_active: bool = True


class SubscriptionView(View):
    """The contract's subscription shape; a user without a paid plan is free/active."""

    user_id: str
    plan_type: PlanType
    status: PlanStatus
    start_date: datetime | None = None
    end_date: datetime | None = None
    is_vip: bool


class LedgerEntry(View):
    id: int
    user_id: str
    amount: int  # signed: > 0 award, < 0 spend
    reason: str
    idempotency_key: str
    balance_after: int
    created_at: datetime


class LedgerResult(View):
    """Outcome of award/spend: `applied` is False when the idempotency key was seen before."""

    user_id: str
    balance: int
    applied: bool
    entry: LedgerEntry


class WalletView(View):
    user_id: str
    balance: int
    entries: list[LedgerEntry]  # newest first


class UserContext(View):
    """One view of a user across both stores."""

    profile: Profile
    subscription: SubscriptionView
    state: UserDocument  # current_state + preferences (document store)
    besitos: int

    @property
    def user_id(self) -> str:
        return self.profile.user_id

    @property
    def preferences(self) -> Preferences:
        return self.state.preferences


class ChoiceOutcome(View):
    """Result of `process_choice`: the fragment the user is now on, or the VIP gate."""

    user_id: str
    choice_id: str
    fragment: NarrativeFragment  # the new current fragment (unchanged when vip_denied)
    vip_denied: bool = False
    denied_fragment_id: str | None = None
    hints_unlocked: list[str] = Field(default_factory=list)


# --- sagas and the admin panel: plain rows the stores hand back -------------------------
@dataclass(frozen=True, kw_only=True)
class WorkflowRow:
    """One open saga (`workflows` table), keyed by kind and user."""

    kind: str
    user_id: str
    state: str
    data: str
    attempts: int


@dataclass(frozen=True, kw_only=True)
class OperatorSession:
    username: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    id: int
    username: str
    action: str
    target: str | None
    detail: str | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Totals:
    users: int
    new_today: int
    active_vip: int
    besitos: int
    dead_letters: int


@dataclass(frozen=True, kw_only=True)
class UserRow:
    user_id: str
    username: str | None
    first_name: str | None
    registration_date: datetime | None


@dataclass(frozen=True, kw_only=True)
class EventRow:
    event_id: str
    event_type: str
    user_id: str | None
    timestamp: datetime
    payload: str  # compact JSON, shortened


@dataclass(frozen=True)
class InboxRow:
    """A recorded Telegram update (`processed_updates`): its raw JSON and attempts so far."""

    update_id: int
    payload: str
    attempts: int


@dataclass(frozen=True)
class BroadcastRow:
    """A broadcast as stored, with its queue rows counted by status."""

    id: int
    text: str
    segment: str
    total: int
    created_at: datetime | None
    counts: dict[str, int]  # queue rows by status


@dataclass(frozen=True)
class QueuedMessage:
    """A queue row the sender holds: what to call, for whom, and how often it was tried."""

    id: int
    chat_id: int
    method: str
    params: str
    kind: str
    attempts: int
    broadcast_id: int | None = None


@dataclass(frozen=True)
class NewMessage:
    """A queue row to write: a Bot API call (`params` as JSON) for a chat."""

    chat_id: int
    method: str
    params: str
    kind: str
    dedupe_key: str | None = None


@dataclass
class Settlement:
    """What happened to claimed rows, written in one transaction."""

    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retry: list[tuple[int, datetime, int]] = field(default_factory=list)  # not before, attempts
    released: list[int] = field(default_factory=list)  # not tried (shutdown): back as they were
    blocked: list[tuple[int, int]] = field(default_factory=list)  # (row id, chat id): a 403
