"""Payments: recent payments with totals per day, support requests, and refunds (confirmed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.context import Operator, admin, checked_form, render
from yabot.admin.i18n import N_
from yabot.domain.errors import NotFoundError
from yabot.services.payments.errors import GatewayUnavailableError, PaymentRefusedError

router = APIRouter()


@router.get("/payments")
async def payments_page(request: Request, _op: Operator) -> Response:
    service = admin(request).domain.payments
    rows, totals = await service.recent(days=30)
    return render(request, "payments.html", payments=rows[:200], totals=totals,
                  support=await service.support_requests(limit=100))


@router.get("/users/{user_id}/payments/{charge_id}/refund")
async def confirm_refund(request: Request, user_id: str, charge_id: str,
                         _op: Operator) -> Response:
    payments = await admin(request).domain.payments.payments(user_id)
    payment = next((p for p in payments if p.charge_id == charge_id), None)
    if payment is None:
        raise NotFoundError("payment", charge_id)
    return render(request, "confirm_refund.html", payment=payment)


@router.post("/users/{user_id}/payments/{charge_id}/refund")
async def refund(request: Request, user_id: str, charge_id: str) -> Response:
    session, form = await checked_form(request)
    ctx = admin(request)
    if form.get("confirm") != charge_id:
        return ctx.redirect(f"/users/{user_id}?error=invalid")
    reason, ok = "", False
    try:
        refunded = await ctx.domain.payments.refund(user_id, charge_id,
                                                    by=f"admin:{session.username}")
        key, ok = (N_("refund_done") if refunded else N_("refund_again")), True
        if refunded:
            await ctx.accounts.audit(session.username, "refund", user_id, charge_id)
    except PaymentRefusedError as exc:
        key, reason = N_("refund_refused"), exc.reason
    except GatewayUnavailableError:
        key = N_("refund_no_bot")
    return render(request, "refund_result.html", status=200 if ok else 502, ok=ok,
                  message_key=key, reason=reason, user_id=user_id)
