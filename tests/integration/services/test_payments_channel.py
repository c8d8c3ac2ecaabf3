"""Payments and the VIP channel over real stores and the fake Bot API (through the real
aiogram gateway): the daily reconciliation, a refund that stops the Stars subscription, a
renewal after a refund, and confirmations queued with the grant (never without it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.e2e.bot.fake_api import FakeBotAPI
from tests.integration.services.ledger_env import Env, EnvFactory
from yabot.bot.dispatcher import create_bot
from yabot.bot.payments_gateway import BotPaymentsGateway
from yabot.bot.session import RetryPolicy
from yabot.faults import FAIL_ENV, InjectedFailure
from yabot.services.container import DomainServices, build_services
from yabot.services.payments.service import Notice, PaymentOutcome
from yabot.settings import BotSettings, PaymentSettings, Settings
from yabot.storage.sql.tables import event_log
from yabot.storage.sql.tables_messaging import outgoing_messages
from yabot.storage.sql.tables_payments import payments as payments_table

CHANNEL = -1009876543210


@dataclass
class PayEnv:
    env: Env
    domain: DomainServices
    fake: FakeBotAPI

    async def rows(self, query: sa.Select[tuple[object, ...]]) -> list[tuple[object, ...]]:
        async with self.env.stores.sql.read() as conn:
            return [tuple(r) for r in (await conn.execute(query))]

    async def events(self, event_type: str, user_id: str) -> list[dict[str, object]]:
        return [json.loads(str(r[0])) for r in await self.rows(
            sa.select(event_log.c.event_data).where(event_log.c.event_type == event_type,
                                                    event_log.c.user_id == user_id))]

    async def queued(self, chat_id: int) -> list[tuple[str, str]]:
        """(dedupe key, text) of the messages queued for a chat."""
        rows = await self.rows(sa.select(outgoing_messages.c.dedupe_key,
                                         outgoing_messages.c.params)
                               .where(outgoing_messages.c.chat_id == chat_id)
                               .order_by(outgoing_messages.c.id))
        return [(str(key), json.loads(str(params))["text"]) for key, params in rows]

    async def user(self, uid: int, vip_days: int | None = None) -> str:
        await self.env.add_user(str(uid))
        if vip_days is not None:
            await self.domain.subscriptions.set_plan(
                str(uid), "vip", datetime.now(UTC) + timedelta(days=vip_days))
        return str(uid)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def pay(request: pytest.FixtureRequest, make_env: EnvFactory) -> AsyncIterator[PayEnv]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    env = await make_env(url)
    settings = Settings.of(payments=PaymentSettings(vip_channel_id=CHANNEL))
    domain = build_services(settings=settings, stores=env.stores, bus=env.bus)
    with FakeBotAPI() as fake:
        bot = create_bot(BotSettings(telegram_api_url=fake.url), token="1:fake",
                         retry=RetryPolicy(attempts=1))
        domain.payments.attach_gateway(BotPaymentsGateway(bot, domain))
        try:
            yield PayEnv(env, domain, fake)
        finally:
            await bot.session.close()


async def test_reconciliation_removes_a_member_without_a_plan_once_and_keeps_the_vip(
        pay: PayEnv) -> None:
    vip, intruder = await pay.user(9301, vip_days=10), await pay.user(9302)
    for uid in (vip, intruder):
        assert await pay.domain.channel.member_changed(uid, CHANNEL, True, "member")

    assert await pay.domain.channel.reconcile() == 2  # one queued + one carried out
    bans = [int(str(c["user_id"])) for c in pay.fake.calls_of("banChatMember")]
    assert bans == [9302]
    assert [int(str(c["user_id"])) for c in pay.fake.calls_of("unbanChatMember")] == [9302]
    notices = await pay.queued(9302)
    assert len(notices) == 1 and notices[0][0].startswith("channel-removal:")
    assert await pay.queued(9301) == []
    assert len(await pay.events("user_left_channel", intruder)) == 1
    assert await pay.domain.channel.channel.members() == [vip]

    # the same day again, and a member who rejoins today: nothing is repeated
    assert await pay.domain.channel.reconcile() == 0
    assert len(pay.fake.calls_of("banChatMember")) == 1
    assert len(await pay.queued(9302)) == 1
    assert await pay.domain.channel.channel.removals_for(intruder) == [("reconcile", "done")]


async def test_a_refund_cancels_the_subscription_and_a_later_renewal_is_recorded(
        pay: PayEnv) -> None:
    uid = await pay.user(9311)
    payments = pay.domain.payments
    offer = await payments.create_offer(uid)
    await payments.record_payment(user_id=uid, charge_id="sub-1", payload=offer.payload,
                                  amount=250, currency="XTR")
    assert await payments.refund(uid, "sub-1", by="ops")
    cancels = pay.fake.calls_of("editUserStarSubscription")
    assert [(int(str(c["user_id"])), c["telegram_payment_charge_id"]) for c in cancels] \
        == [(9311, "sub-1")]
    assert cancels[0]["is_canceled"] in (True, "true")
    assert not (await pay.domain.subscriptions.get(uid)).is_vip

    # Telegram charges again anyway: recorded, granted, flagged, cancelled again
    outcome = await payments.record_payment(user_id=uid, charge_id="sub-2",
                                            payload=offer.payload, amount=250,
                                            currency="XTR", is_recurring=True)
    assert outcome.new and outcome.after_refund
    assert (await pay.domain.subscriptions.get(uid)).is_vip
    received = await pay.events("payment_received", uid)
    assert [e["payload"]["after_refund"] for e in received] == [False, True]  # type: ignore[index]
    assert [c["telegram_payment_charge_id"]
            for c in pay.fake.calls_of("editUserStarSubscription")] == ["sub-1", "sub-2"]
    statuses = dict(await pay.rows(sa.select(payments_table.c.charge_id,
                                             payments_table.c.status)))
    assert statuses == {"sub-1": "refunded", "sub-2": "paid"}


async def test_the_confirmation_commits_with_the_grant_or_not_at_all(
        pay: PayEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    uid = await pay.user(9321)
    payments = pay.domain.payments
    offer = await payments.create_offer(uid)

    def confirm(outcome: PaymentOutcome) -> list[Notice]:
        return [Notice(f"gracias {outcome.payment.charge_id}"), Notice("únete al canal")]

    async def pay_once() -> PaymentOutcome:
        return await payments.record_payment(user_id=uid, charge_id="c-1",
                                             payload=offer.payload, amount=250,
                                             currency="XTR", confirm=confirm)

    monkeypatch.setenv(FAIL_ENV, "payments.granted_uncommitted")  # dies before the commit
    with pytest.raises(InjectedFailure):
        await pay_once()
    assert await pay.queued(9321) == []
    assert not (await pay.domain.subscriptions.get(uid)).is_vip
    monkeypatch.delenv(FAIL_ENV)

    first = await pay_once()
    again = await pay_once()
    assert (first.new, again.new) == (True, False)
    assert await pay.queued(9321) == [("payment:c-1:0", "gracias c-1"),
                                      ("payment:c-1:1", "únete al canal")]
    assert (await pay.domain.subscriptions.get(uid)).is_vip
