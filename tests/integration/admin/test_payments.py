"""Panel payments: the payments page (totals per day in Stars, support requests), the user
page's payments, and a refund with confirmation through the fake Bot API (and a refusal)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.bot.fake_api import FakeBotAPI
from tests.integration.admin.conftest import OPERATOR, PanelEnv
from yabot.bot.dispatcher import create_bot
from yabot.bot.payments_gateway import BotPaymentsGateway
from yabot.bot.session import RetryPolicy
from yabot.settings import BotSettings


async def test_payments_page_user_payments_and_refund(panel_any: PanelEnv) -> None:
    panel, payments = panel_any, panel_any.services.domain.payments
    user = await panel.register(611)
    offer = await payments.create_offer(user)
    await payments.record_payment(user_id=user, charge_id="adm-1", payload=offer.payload,
                                  amount=250, currency="XTR")
    await payments.record_payment(user_id=user, charge_id="adm-2", payload=offer.payload,
                                  amount=250, currency="XTR", is_recurring=True)
    await payments.open_support_request(user, "Pagué dos veces <b>hoy</b>")
    await panel.login()

    page = (await panel.client.get("/admin/payments")).text
    today = datetime.now(UTC).date().isoformat()
    assert f"<td>{today}</td><td>2</td><td class=\"stars\">500</td>" in page
    assert "adm-1" in page and "adm-2" in page
    assert "Pagué dos veces &lt;b&gt;hoy&lt;/b&gt;" in page  # escaped

    user_page = (await panel.client.get(f"/admin/users/{user}")).text
    assert user_page.count('class="danger refund-link"') == 2
    confirm = await panel.client.get(f"/admin/users/{user}/payments/adm-2/refund")
    assert confirm.status_code == 200 and 'id="refund-confirm"' in confirm.text
    assert (await panel.client.get(f"/admin/users/{user}/payments/nope/refund")).status_code \
        == 404

    # no bot in this process: nothing changes
    r = await panel.post(f"/admin/users/{user}/payments/adm-2/refund", {"confirm": "adm-2"})
    assert r.status_code == 502 and "No hay bot de Telegram" in r.text

    with FakeBotAPI() as fake:
        bot = create_bot(BotSettings(telegram_api_url=fake.url), token="1:fake",
                         retry=RetryPolicy(attempts=1))
        payments.attach_gateway(BotPaymentsGateway(bot, panel.services.domain))
        try:
            # without the confirmation field: nothing happens
            r = await panel.post(f"/admin/users/{user}/payments/adm-2/refund", {})
            assert r.status_code == 303 and "error=invalid" in r.headers["location"]
            assert not fake.calls_of("refundStarPayment")

            fake.refuse("refundStarPayment", "Bad Request: CHARGE_NOT_FOUND")
            r = await panel.post(f"/admin/users/{user}/payments/adm-2/refund",
                                 {"confirm": "adm-2"})
            assert r.status_code == 502 and "CHARGE_NOT_FOUND" in r.text
            assert (await payments.store.get_payment("adm-2")).status == "paid"  # type: ignore[union-attr]
            assert (await panel.services.domain.subscriptions.get(user)).is_vip

            r = await panel.post(f"/admin/users/{user}/payments/adm-2/refund",
                                 {"confirm": "adm-2"})
            assert r.status_code == 200 and 'id="refund-result"' in r.text
            assert (await payments.store.get_payment("adm-2")).status == "refunded"  # type: ignore[union-attr]
            assert not (await panel.services.domain.subscriptions.get(user)).is_vip
            again = await panel.post(f"/admin/users/{user}/payments/adm-2/refund",
                                     {"confirm": "adm-2"})
            assert again.status_code == 200 and "ya estaba reembolsado" in again.text
            assert len(fake.calls_of("refundStarPayment")) == 2
        finally:
            payments.attach_gateway(None)
            await bot.session.close()

    user_page = (await panel.client.get(f"/admin/users/{user}")).text
    assert user_page.count('class="danger refund-link"') == 1  # adm-1 only
    audit = await panel.panel.context.accounts.recent_audit(target=user)
    assert [(a.username, a.action, a.detail) for a in audit] == [(OPERATOR, "refund", "adm-2")]
    assert len(await panel.events("payment_refunded", user)) == 1
