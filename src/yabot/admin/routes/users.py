"""Users: search, the user page, and the operator actions (plan, besitos, deletion)."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.context import Operator, admin, checked_form, flash, render
from yabot.domain.errors import InsufficientFundsError, NotFoundError
from yabot.services.admin.queries import MAX_PAGE_SIZE

router = APIRouter()
PAGE_SIZE = 25
PLANS = ("free", "premium", "vip")
MAX_DAYS, MAX_AMOUNT = 3650, 1_000_000
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


def _back(user_id: str, query: str) -> str:
    return f"/users/{quote(user_id, safe='')}?{query}"


def _int(value: object, low: int, high: int) -> int | None:
    if not isinstance(value, str) or not value.strip().isdigit():
        return None
    number = int(value.strip()[:12])
    return number if low <= number <= high else None


@router.get("/users")
async def users(request: Request, _op: Operator) -> Response:
    q = request.query_params.get("q", "")[:100]
    page = _int(request.query_params.get("page", "1"), 1, 1_000_000) or 1
    size = _int(request.query_params.get("size", str(PAGE_SIZE)), 1, MAX_PAGE_SIZE) or PAGE_SIZE
    rows, total = await admin(request).queries.search_users(q, page=page, page_size=size)
    done, error = flash(request)
    return render(request, "users.html", q=q, rows=rows, total=total, page=page, size=size,
                  pages=max(1, math.ceil(total / size)), done=done, error=error)


@router.get("/users/{user_id}")
async def user_page(request: Request, user_id: str,
                    _op: Operator) -> Response:
    ctx = admin(request)
    user = await ctx.domain.users.get_user_context(user_id)
    wallet = await ctx.domain.besitos.wallet(user_id, limit=20)
    economy = ctx.domain.economy
    done, error = flash(request)
    return render(request, "user.html", user=user, wallet=wallet, done=done, error=error,
                  held=(await ctx.domain.holds.totals(user_id))[1],
                  level=await economy.ranking.level(user_id),
                  streak=await economy.gift.streak(user_id),
                  inventory=await economy.shop.inventory(user_id),
                  achievements=await economy.achievements.of_user(user_id),
                  missions=await economy.missions.today(user_id),
                  events=await ctx.queries.recent_events(user_id=user_id, limit=20),
                  audit=await ctx.accounts.recent_audit(target=user_id, limit=20),
                  plans=PLANS, idempotency_key=uuid.uuid4().hex,
                  payments=await ctx.domain.payments.payments(user_id),
                  support=await ctx.domain.payments.support_requests(20, user_id=user_id))


@router.post("/users/{user_id}/subscription")
async def set_plan(request: Request, user_id: str) -> Response:
    session, form = await checked_form(request)
    ctx = admin(request)
    plan, days = form.get("plan_type"), _int(form.get("days"), 1, MAX_DAYS)
    if plan not in PLANS or (plan != "free" and days is None):
        return ctx.redirect(_back(user_id, "error=invalid"))
    end = None if plan == "free" else datetime.now(UTC) + timedelta(days=days or 0)
    view = await ctx.domain.subscriptions.set_plan(user_id, plan, end)  # type: ignore[arg-type]
    detail = f"{view.plan_type} {view.status}" + (f", {days} d" if plan != "free" else "")
    await ctx.accounts.audit(session.username, "subscription", user_id, detail)
    return ctx.redirect(_back(user_id, "done=subscription"))


@router.post("/users/{user_id}/besitos")
async def besitos(request: Request, user_id: str) -> Response:
    session, form = await checked_form(request)
    ctx = admin(request)
    amount, direction = _int(form.get("amount"), 1, MAX_AMOUNT), form.get("direction")
    reason, key = form.get("reason"), form.get("idempotency_key")
    if (amount is None or direction not in ("award", "deduct") or not isinstance(reason, str)
            or not 1 <= len(reason.strip()) <= 200 or not isinstance(key, str)
            or not _KEY.match(key)):
        return ctx.redirect(_back(user_id, "error=invalid"))
    reason, op_key = reason.strip(), f"admin:{session.username}:{key}"
    try:
        if direction == "award":
            result = await ctx.domain.besitos.award(user_id, amount, reason, op_key)
        else:
            result = await ctx.domain.besitos.spend(user_id, amount, reason, op_key)
    except InsufficientFundsError:
        return ctx.redirect(_back(user_id, "error=insufficient_funds"))
    if result.applied:
        sign = "+" if direction == "award" else "-"
        await ctx.accounts.audit(session.username, f"besitos_{direction}", user_id,
                                 f"{sign}{amount} ({reason}) → {result.balance}")
    return ctx.redirect(_back(user_id, "done=besitos"))


@router.get("/users/{user_id}/delete")
async def confirm_delete(request: Request, user_id: str,
                         _op: Operator) -> Response:
    user = await admin(request).domain.users.get_user_context(user_id)
    return render(request, "confirm_delete.html", user=user)


@router.post("/users/{user_id}/delete")
async def delete(request: Request, user_id: str) -> Response:
    session, form = await checked_form(request)
    ctx = admin(request)
    if form.get("confirm") != user_id:
        return ctx.redirect(_back(user_id, "error=invalid"))
    try:
        await ctx.domain.users.delete_user(user_id, reason=f"admin panel: {session.username}")
    except NotFoundError:
        return ctx.redirect("/users?error=not_found")
    await ctx.accounts.audit(session.username, "delete_user", user_id)
    return ctx.redirect("/users?done=deleted")
