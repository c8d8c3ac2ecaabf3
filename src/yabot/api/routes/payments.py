"""Stars payments: a user's payments (`read`) and refunds (`admin`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request

from yabot.api.deps import UserId, admin, authenticated
from yabot.api.errors import ApiError
from yabot.api.openapi import error_responses
from yabot.api.schemas import ErrorResponse, Out
from yabot.domain.payments import Payment
from yabot.services.payments.errors import GatewayUnavailableError, PaymentRefusedError
from yabot.services.payments.service import PaymentsService

router = APIRouter(prefix="/user", tags=["payments"])
ChargeId = Annotated[str, Path(min_length=1, max_length=255,
                               description="Telegram's telegram_payment_charge_id")]
_BAD_GATEWAY: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorResponse, "description": "Telegram refused the refund; nothing changed"}}


class PaymentOut(Out):
    charge_id: str
    amount: int
    currency: str
    status: Literal["paid", "refunded"]
    created_at: datetime
    is_recurring: bool
    plan_end: datetime | None
    refunded_at: datetime | None


class PaymentList(Out):
    user_id: str
    payments: list[PaymentOut]


class RefundOut(Out):
    user_id: str
    charge_id: str
    status: Literal["refunded"]
    refunded_now: bool  # false: it had been refunded before, nothing more happened


def _payments(request: Request) -> PaymentsService:
    return request.app.state.domain.payments  # type: ignore[no-any-return]


def _out(p: Payment) -> PaymentOut:
    return PaymentOut(charge_id=p.charge_id, amount=p.amount, currency=p.currency,
                      status=p.status,
                      created_at=p.created_at, is_recurring=p.is_recurring,
                      plan_end=p.plan_end, refunded_at=p.refunded_at)


@router.get("/{user_id}/payments", response_model=PaymentList, summary="A user's payments",
            dependencies=[Depends(authenticated)], responses=error_responses(404))
async def list_payments(user_id: UserId, request: Request) -> PaymentList:
    """Newest first, refunded ones included."""
    rows = await _payments(request).payments(user_id)
    return PaymentList(user_id=user_id, payments=[_out(p) for p in rows])


@router.post("/{user_id}/payments/{charge_id}/refund", response_model=RefundOut,
             summary="Refund a Stars payment", dependencies=[Depends(admin)],
             responses={**error_responses(404), **_BAD_GATEWAY})
async def refund_payment(user_id: UserId, charge_id: ChargeId, request: Request) -> RefundOut:
    """Calls `refundStarPayment`, ends the plan now, marks the payment `refunded`.
    Again: 200 and nothing more. 502 when Telegram refuses (nothing changes)."""
    claims = getattr(request.state, "claims", None)
    by = f"api:{getattr(claims, 'sub', '?')}"
    service = _payments(request)
    try:
        refunded_now = await service.refund(user_id, charge_id, by=by)
    except PaymentRefusedError as exc:
        raise ApiError(502, "refund_refused", f"Telegram refused the refund: {exc.reason}",
                       {"charge_id": charge_id}) from None
    except GatewayUnavailableError as exc:
        raise ApiError(503, "bot_unavailable", str(exc)) from None
    return RefundOut(user_id=user_id, charge_id=charge_id, status="refunded",
                     refunded_now=refunded_now)
