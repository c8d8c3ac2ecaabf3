"""SubscriptionService on every store combination: plans, expiry on read and by sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.services.conftest import Stack
from yabot.domain.errors import NotFoundError
from yabot.domain.views import TelegramUser
from yabot.storage.sql.tables import subscriptions


async def _user(stack: Stack, uid: int = 1) -> str:
    await stack.users.create_user(TelegramUser(id=uid))
    return str(uid)


async def _age_plan(stack: Stack, user_id: str, end: datetime) -> None:
    """Move the current plan's end date (into the past), as time passing would."""
    async with stack.stores.sql.write() as conn:
        newest = sa.select(sa.func.max(subscriptions.c.id)).where(
            subscriptions.c.user_id == user_id).scalar_subquery()
        await conn.execute(subscriptions.update().where(subscriptions.c.id == newest)
                           .values(end_date=end))


def _statuses(events: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(e["payload"]["status"], e["payload"]["plan_type"])  # type: ignore[index]
            for e in events]


async def test_free_by_default_then_grant_upgrade_cancel(stack: Stack) -> None:
    uid = await _user(stack)
    free = await stack.subscriptions.get(uid)
    assert (free.plan_type, free.status, free.is_vip, free.end_date) == ("free", "active",
                                                                        False, None)
    end = datetime.now(UTC) + timedelta(days=30)
    premium = await stack.subscriptions.set_plan(uid, "premium", end)
    assert (premium.plan_type, premium.status, premium.is_vip) == ("premium", "active", False)
    vip = await stack.subscriptions.set_plan(uid, "vip", end)
    assert vip.is_vip and await stack.subscriptions.is_vip(uid)
    read = await stack.subscriptions.get(uid)
    assert (read.plan_type, read.status, read.is_vip) == ("vip", "active", True)
    assert read.end_date is not None and abs((read.end_date - end).total_seconds()) < 1
    cancelled = await stack.subscriptions.set_plan(uid, "free")
    assert (cancelled.plan_type, cancelled.status, cancelled.is_vip) == ("free", "active", False)
    assert not await stack.subscriptions.is_vip(uid)
    assert _statuses(await stack.events("subscription_updated", uid)) == [
        ("active", "premium"), ("active", "vip"), ("cancelled", "vip")]
    await stack.subscriptions.set_plan(uid, "free")  # no change: no event
    assert len(await stack.events("subscription_updated", uid)) == 3
    ctx = await stack.users.get_user_context(uid)
    assert ctx.subscription.plan_type == "free"


async def test_vip_without_end_date_is_vip(stack: Stack) -> None:
    uid = await _user(stack)
    await stack.subscriptions.set_plan(uid, "vip")
    assert await stack.subscriptions.is_vip(uid)
    assert (await stack.users.get_user_context(uid)).subscription.is_vip


async def test_expired_on_read(stack: Stack) -> None:
    uid = await _user(stack)
    await stack.subscriptions.set_plan(uid, "vip", datetime.now(UTC) + timedelta(days=1))
    await _age_plan(stack, uid, datetime.now(UTC) - timedelta(seconds=1))
    view = await stack.subscriptions.get(uid)
    assert (view.plan_type, view.status, view.is_vip) == ("vip", "expired", False)
    assert not await stack.subscriptions.is_vip(uid)
    assert (await stack.users.get_user_context(uid)).subscription.status == "expired"
    assert _statuses(await stack.events("subscription_updated", uid))[-1] == ("expired", "vip")
    assert len(await stack.events("subscription_updated", uid)) == 2  # expired once
    assert await stack.subscriptions.expire_due() == 0  # already persisted by the read


async def test_sweep_expires_due_plans_only(stack: Stack) -> None:
    a, b, c = await _user(stack, 1), await _user(stack, 2), await _user(stack, 3)
    soon = datetime.now(UTC) + timedelta(days=10)
    for uid in (a, b, c):
        await stack.subscriptions.set_plan(uid, "premium", soon)
    await _age_plan(stack, a, datetime.now(UTC) - timedelta(hours=1))
    await _age_plan(stack, b, datetime.now(UTC) - timedelta(days=3))
    assert await stack.subscriptions.expire_due() == 2
    assert await stack.subscriptions.expire_due() == 0
    assert [(await stack.subscriptions.get(u)).status for u in (a, b, c)] == [
        "expired", "expired", "active"]
    expired = [e for e in await stack.events("subscription_updated")
               if e["payload"]["status"] == "expired"]  # type: ignore[index]
    assert sorted(str(e["user_id"]) for e in expired) == [a, b]


async def test_expiring_notice_once_per_plan_period(stack: Stack) -> None:
    a, b = await _user(stack, 1), await _user(stack, 2)
    await stack.subscriptions.set_plan(a, "vip", datetime.now(UTC) + timedelta(days=2))
    await stack.subscriptions.set_plan(b, "vip", datetime.now(UTC) + timedelta(days=20))
    assert await stack.subscriptions.notify_expiring() == 1
    assert await stack.subscriptions.notify_expiring() == 0
    # a renewal is a new plan period: its own notice when it comes close to its end
    await stack.subscriptions.set_plan(a, "vip", datetime.now(UTC) + timedelta(days=1))
    assert await stack.subscriptions.notify_expiring() == 1
    notices = await stack.events("subscription_expiring")
    assert [e["user_id"] for e in notices] == [a, a]
    assert notices[0]["payload"]["plan_type"] == "vip"  # type: ignore[index]


async def test_bad_input(stack: Stack) -> None:
    uid = await _user(stack)
    with pytest.raises(NotFoundError):
        await stack.subscriptions.get("nobody")
    with pytest.raises(NotFoundError):
        await stack.subscriptions.set_plan("nobody", "vip")
    with pytest.raises(ValueError, match="not in the future"):
        await stack.subscriptions.set_plan(uid, "vip", datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(ValueError, match="no end date"):
        await stack.subscriptions.set_plan(uid, "free", datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(ValueError, match="plan_type"):
        await stack.subscriptions.set_plan(uid, "gold")  # type: ignore[arg-type]
    assert (await stack.subscriptions.get(uid)).plan_type == "free"
    assert await stack.events("subscription_updated", uid) == []
