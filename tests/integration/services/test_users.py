"""UserService on every store combination: registration, the unified view, updates, delete."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.services.conftest import Stack
from yabot.domain.errors import NotFoundError
from yabot.domain.views import TelegramUser
from yabot.storage.sql.tables import besitos_ledger, user_profiles, wallets, workflows

ANA = TelegramUser(id=4242, username="ana", first_name="Ana", language_code="es")


async def test_create_user_writes_both_stores_and_one_event(stack: Stack) -> None:
    assert await stack.users.create_user(ANA) is True
    assert await stack.users.create_user(ANA) is False  # idempotent per Telegram id
    ctx = await stack.users.get_user_context("4242")
    assert (ctx.user_id, ctx.profile.telegram_user_id, ctx.profile.username) == (
        "4242", 4242, "ana")
    assert ctx.profile.registration_date is not None
    assert (ctx.subscription.plan_type, ctx.subscription.status) == ("free", "active")
    assert ctx.subscription.is_vip is False and ctx.besitos == 0
    assert ctx.state.current_state.menu_context == "main_menu"
    assert (await stack.users.get_state("4242")).user_id == "4242"
    events = await stack.events("user_registered", "4242")
    assert len(events) == 1
    assert events[0]["payload"]["telegram_user_id"] == 4242  # type: ignore[index]
    async with stack.stores.sql.read() as conn:  # no saga left open
        assert (await conn.execute(sa.select(sa.func.count()).select_from(workflows))
                ).scalar_one() == 0


async def test_concurrent_registrations_of_one_user_publish_once(stack: Stack) -> None:
    results = await asyncio.gather(*(stack.users.create_user(ANA) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert len(await stack.events("user_registered", "4242")) == 1
    assert (await stack.users.get_state("4242")).user_id == "4242"


async def test_context_includes_the_wallet_balance(stack: Stack) -> None:
    await stack.users.create_user(ANA)
    async with stack.stores.sql.write() as conn:
        await conn.execute(wallets.insert().values(user_id="4242", balance=7))
    assert (await stack.users.get_user_context("4242")).besitos == 7


async def test_unknown_user_is_not_found_everywhere(stack: Stack) -> None:
    calls = [
        stack.users.get_user_context("999"), stack.users.get_state("999"),
        stack.users.update_user_state("999", {"menu_context": "x"}),
        stack.users.update_user_profile("999", {"username": "x"}),
        stack.users.update_preferences("999", {"theme": "dark"}),
        stack.users.delete_user("999"),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as err:
            await call
        assert (err.value.kind, err.value.key) == ("user", "999")


async def test_updates(stack: Stack) -> None:
    await stack.users.create_user(ANA)
    doc = await stack.users.update_user_state(
        "4242", {"menu_context": "shop", "narrative_progress.current_fragment": "forest_001"})
    assert doc.current_state.menu_context == "shop"
    assert doc.current_state.narrative_progress.current_fragment == "forest_001"
    prefs = await stack.users.update_preferences("4242", {"theme": "dark"})
    assert (prefs.theme, prefs.language, prefs.notifications_enabled) == ("dark", "es", True)
    prefs = await stack.users.update_preferences("4242", {"notifications_enabled": False})
    assert (prefs.theme, prefs.notifications_enabled) == ("dark", False)
    await stack.users.update_user_profile("4242", {"username": "ana_b", "last_name": None})
    ctx = await stack.users.get_user_context("4242")
    assert ctx.profile.username == "ana_b" and ctx.preferences.theme == "dark"
    assert ctx.state.current_state.menu_context == "shop"


async def test_bad_updates_are_refused(stack: Stack) -> None:
    await stack.users.create_user(ANA)
    with pytest.raises(ValueError, match="unknown profile field"):
        await stack.users.update_user_profile("4242", {"telegram_user_id": 1})
    with pytest.raises(ValueError, match="no fields"):
        await stack.users.update_user_profile("4242", {})
    with pytest.raises(ValueError):
        await stack.users.update_preferences("4242", {"language": 5})
    with pytest.raises(ValueError):
        await stack.users.update_user_state("4242", {"bad path!": 1})
    assert (await stack.users.get_user_context("4242")).profile.username == "ana"


async def test_delete_user_removes_everything_and_publishes(stack: Stack) -> None:
    await stack.users.create_user(ANA)
    await stack.users.create_user(TelegramUser(id=7))
    await stack.subscriptions.set_plan("4242", "vip", datetime.now(UTC) + timedelta(days=2))
    await stack.subscriptions.notify_expiring()
    async with stack.stores.sql.write() as conn:
        await conn.execute(wallets.insert().values(user_id="4242", balance=3))
        await conn.execute(besitos_ledger.insert().values(
            user_id="4242", amount=3, reason="r", idempotency_key="k1", balance_after=3))
    await stack.users.delete_user("4242", reason="asked")
    with pytest.raises(NotFoundError):
        await stack.users.get_user_context("4242")
    with pytest.raises(NotFoundError):
        await stack.users.get_state("4242")
    async with stack.stores.sql.read() as conn:
        for table in (user_profiles, wallets, besitos_ledger):
            left = await conn.execute(sa.select(sa.func.count()).select_from(table)
                                      .where(table.c.user_id == "4242"))
            assert left.scalar_one() == 0, table.name
        assert (await conn.execute(sa.select(sa.func.count()).select_from(workflows))
                ).scalar_one() == 0
    deleted = await stack.events("user_deleted", "4242")
    assert [e["payload"] for e in deleted] == [{"reason": "asked"}]
    assert (await stack.users.get_user_context("7")).user_id == "7"  # others untouched
    # the same Telegram user can register again, from scratch
    assert await stack.users.create_user(ANA) is True
    ctx = await stack.users.get_user_context("4242")
    assert (ctx.besitos, ctx.subscription.plan_type) == (0, "free")
