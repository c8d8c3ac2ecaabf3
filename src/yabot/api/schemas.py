"""Request and response bodies of `/api/v1`: explicit, closed schemas for OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from yabot.domain.models import CurrentState, NarrativeFragment, Preferences, UserDocument
from yabot.domain.views import LedgerEntry, LedgerResult, PlanStatus, PlanType, WalletView

MAX_AMOUNT = 1_000_000
FRAGMENT_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
KEY_PATTERN = r"^[A-Za-z0-9_.:@/-]{1,128}$"


class ErrorBody(BaseModel):
    code: str = Field(examples=["user_not_found"])
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """Every status >= 400."""

    error: ErrorBody


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PreferencesOut(Out):
    model_config = ConfigDict(extra="allow")
    language: str
    notifications_enabled: bool
    theme: str

    @classmethod
    def of(cls, prefs: Preferences) -> PreferencesOut:
        return cls.model_validate(prefs.model_dump(mode="json"))


class PreferencesUpdate(BaseModel):
    """A partial update: only the given keys change; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    language: str = Field(None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$",  # type: ignore[assignment]
                          examples=["es"])
    notifications_enabled: bool = Field(None, strict=True)  # type: ignore[assignment]
    theme: str = Field(None, pattern=r"^[a-z0-9_-]{1,32}$",  # type: ignore[assignment]
                       examples=["dark"])
    # the economy: appear in GET /ranking; the timezone of the user's day (IANA name)
    show_in_ranking: bool = Field(None, strict=True)  # type: ignore[assignment]
    timezone: str = Field(None, max_length=64,  # type: ignore[assignment]
                          examples=["America/Mexico_City"])

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown timezone {v!r}") from None
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> PreferencesUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of: " + ", ".join(type(self).model_fields))
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class StateOut(Out):
    user_id: str
    current_state: CurrentState
    preferences: PreferencesOut
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, doc: UserDocument) -> StateOut:
        return cls(user_id=doc.user_id, current_state=doc.current_state,
                   preferences=PreferencesOut.of(doc.preferences), version=doc.version,
                   updated_at=doc.updated_at)


class SubscriptionOut(Out):
    user_id: str
    plan_type: PlanType
    status: PlanStatus
    start_date: datetime | None
    end_date: datetime | None
    is_vip: bool


def _bounded_utc(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date out of range") from None
    if utc > datetime.now(UTC) + timedelta(days=366 * 100):
        raise ValueError("must be within 100 years")
    return utc


class SubscriptionUpdate(BaseModel):
    """Grant or upgrade (`premium`/`vip`, optional future end_date) or cancel (`free`)."""

    model_config = ConfigDict(extra="forbid")
    plan_type: PlanType
    end_date: Annotated[AwareDatetime, AfterValidator(_bounded_utc)] | None = Field(
        None, description="UTC or with an offset; none for the free plan")


class LedgerEntryOut(Out):
    id: int
    amount: int
    reason: str
    idempotency_key: str
    balance_after: int
    created_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryOut:
        return cls.model_validate(entry, from_attributes=True)


class WalletOut(Out):
    user_id: str
    balance: int = Field(description="what the user can spend")
    held: int = Field(0, description="besitos held by the user's open auction bids")
    entries: list[LedgerEntryOut] = Field(description="recent ledger entries, newest first")
    level: int | None = Field(None, description="level from lifetime besitos earned")

    @classmethod
    def of(cls, wallet: WalletView, *, level: int | None = None, held: int = 0) -> WalletOut:
        return cls(user_id=wallet.user_id, balance=wallet.balance, held=held,
                   entries=[LedgerEntryOut.of(e) for e in wallet.entries], level=level)


class BesitosChange(BaseModel):
    """Positive `amount` awards, negative spends; the same key again changes nothing."""

    model_config = ConfigDict(extra="forbid")
    amount: int = Field(strict=True, ge=-MAX_AMOUNT, le=MAX_AMOUNT, examples=[5])
    reason: str = Field(min_length=1, max_length=200, examples=["admin bonus"])
    idempotency_key: str = Field(pattern=KEY_PATTERN, examples=["bonus-2026-12-01"])

    @model_validator(mode="after")
    def _non_zero(self) -> BesitosChange:
        if self.amount == 0:
            raise ValueError("amount must not be 0")
        return self


class BesitosResult(Out):
    user_id: str
    balance: int
    applied: bool = Field(description="false when the idempotency key was seen before")
    entry: LedgerEntryOut

    @classmethod
    def of(cls, result: LedgerResult) -> BesitosResult:
        return cls(user_id=result.user_id, balance=result.balance, applied=result.applied,
                   entry=LedgerEntryOut.of(result.entry))


class ChoiceOut(Out):
    id: str
    text: str
    next_fragment: str | None


class FragmentMetadataOut(Out):
    model_config = ConfigDict(extra="allow")
    difficulty: str | None
    tags: list[str]
    vip_required: bool


class FragmentOut(Out):
    fragment_id: str
    title: str
    content: str
    choices: list[ChoiceOut]
    metadata: FragmentMetadataOut

    @classmethod
    def of(cls, fragment: NarrativeFragment) -> FragmentOut:
        return cls.model_validate(fragment.model_dump(mode="json"))


class DeadLetterOut(Out):
    id: int
    event_id: str
    event_type: str
    consumer_group: str
    error: str
    attempts: int
    created_at: datetime | None
    replayed_at: datetime | None
    status: Literal["pending", "replayed"]


class DeadLetterList(Out):
    items: list[DeadLetterOut]
    count: int
