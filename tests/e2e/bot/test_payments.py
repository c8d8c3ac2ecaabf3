"""Buying VIP with Stars over the webhook against the fake Bot API: the invoice, the
pre-checkout rule, once-per-charge grants (redelivered twice), a renewal, refunds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.bot.fake_api import FakeBotAPI, message, paid, pre_checkout, url_buttons_of
from tests.e2e.bot.payments_env import (
    BACKENDS,
    admin_api,
    backend_env,
    db_url,
    events_of,
)
from tests.e2e.bot.service import Service, run_service

UID, OTHER = 8101, 8102


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    return backend_env(request)


def _end(svc: Service, uid: int) -> datetime | None:
    status, sub = svc.api("GET", f"/user/{uid}/subscription")
    assert status == 200, sub
    return None if sub["end_date"] is None else datetime.fromisoformat(sub["end_date"])


def _answers(fake: FakeBotAPI) -> list[dict[str, object]]:
    return fake.calls_of("answerPreCheckoutQuery")


def buy_offer(fake: FakeBotAPI, svc: Service, uid: int, first_update: int) -> str:
    """/start and /vip; returns the invoice payload the bot issued."""
    svc.hook(message(first_update, uid, "/start"))
    fake.wait_text(uid, "Bienvenida")
    links_before = len(fake.calls_of("createInvoiceLink"))
    svc.hook(message(first_update + 1, uid, "/vip"))
    offer = fake.wait_text(uid, "VIP mensual")
    invoice = fake.calls_of("createInvoiceLink")[links_before]
    assert invoice["currency"] == "XTR"
    assert json.loads(str(invoice["prices"]))[0]["amount"] == 250
    assert int(str(invoice["subscription_period"])) == 2592000
    assert invoice.get("provider_token") in (None, "")
    assert url_buttons_of(offer) and url_buttons_of(offer)[0].startswith("https://t.me/$")
    return str(invoice["payload"])


def test_purchase_redelivery_prechecks_renewal_and_refunds(
        tmp_path: Path, backend: dict[str, str]) -> None:
    url = db_url(tmp_path, backend)
    with FakeBotAPI() as fake, run_service(tmp_path, fake.url, webhook=True, **backend) as svc:
        payload = buy_offer(fake, svc, UID, 1)
        svc.hook(message(3, OTHER, "/start"))
        fake.wait_text(OTHER, "Bienvenida")

        # pre-checkout: forged, someone else's, a wrong amount or currency -> refused
        for n, (uid, load, amount, currency) in enumerate([
                (UID, "vip:forged-offer-id", 250, "XTR"), (UID, "nonsense", 250, "XTR"),
                (OTHER, payload, 250, "XTR"), (UID, payload, 1, "XTR"),
                (UID, payload, 250, "USD")]):
            svc.hook(pre_checkout(10 + n, uid, load, amount, currency))
            assert fake.wait_for(lambda n=n: len(_answers(fake)) >= n + 1)  # type: ignore[misc]
            answer = _answers(fake)[n]
            assert answer["ok"] in (False, "false"), answer
            assert answer["error_message"], answer
        svc.hook(pre_checkout(20, UID, payload))
        assert fake.wait_for(lambda: len(_answers(fake)) >= 6)
        assert _answers(fake)[5]["ok"] in (True, "true")
        assert _answers(fake)[5]["pre_checkout_query_id"] == "pcq20"

        # the payment, delivered twice with one update id and once more with another
        before = datetime.now(UTC)
        assert svc.hook(paid(21, UID, "charge-1", payload))[0] == 200
        fake.wait_text(UID, "Tu pago de 250 estrellas está registrado")
        assert svc.hook(paid(21, UID, "charge-1", payload))[0] == 200
        assert svc.hook(paid(22, UID, "charge-1", payload))[0] == 200
        svc.hook(message(23, UID, "/besitos"))
        fake.wait_text(UID, "besitos")  # processed in order: 21 and 22 are done
        end = _end(svc, UID)
        assert end is not None
        assert before + timedelta(days=30) <= end <= datetime.now(UTC) + timedelta(days=30)
        assert fake.count_text(UID, "está registrado") == 1
        status, listed = svc.api("GET", f"/user/{UID}/payments")
        assert status == 200, listed
        assert [(p["charge_id"], p["amount"], p["currency"], p["status"])
                for p in listed["payments"]] == [("charge-1", 250, "XTR", "paid")]
        assert events_of(url, "payment_received", UID) == 1
        assert events_of(url, "subscription_started", UID) == 1

        # the used offer is stale now
        svc.hook(pre_checkout(24, UID, payload))
        assert fake.wait_for(lambda: len(_answers(fake)) >= 7)
        assert _answers(fake)[6]["ok"] in (False, "false")
        assert "caducado" in str(_answers(fake)[6]["error_message"])

        # a renewal (is_recurring) extends from the current end
        svc.hook(paid(25, UID, "charge-2", payload, recurring=True))
        fake.wait_text(UID, "Tu VIP se ha renovado")
        renewed = _end(svc, UID)
        assert renewed is not None
        assert abs((renewed - end) - timedelta(days=30)) < timedelta(seconds=5)
        assert events_of(url, "payment_received", UID) == 2
        assert events_of(url, "subscription_started", UID) == 1

        # a refund Telegram refuses: 502 with the envelope, nothing changes
        fake.refuse("refundStarPayment", "Bad Request: CHARGE_NOT_FOUND")
        status, body = admin_api(svc, "POST", f"/user/{UID}/payments/charge-2/refund")
        assert status == 502, body
        assert body["error"]["code"] == "refund_refused"
        assert "CHARGE_NOT_FOUND" in body["error"]["message"]
        assert _end(svc, UID) == renewed
        assert {p["status"] for p in svc.api("GET", f"/user/{UID}/payments")[1]["payments"]} \
            == {"paid"}

        # read scope is not enough; unknown charge: 404; then the refund goes through
        assert svc.api("POST", f"/user/{UID}/payments/charge-2/refund")[0] == 403
        status, body = admin_api(svc, "POST", f"/user/{UID}/payments/nope/refund")
        assert status == 404, body
        assert body["error"]["code"] == "payment_not_found" or "nope" in body["error"]["message"]
        status, body = admin_api(svc, "POST", f"/user/{UID}/payments/charge-2/refund")
        assert (status, body["refunded_now"]) == (200, True), body
        refund = fake.calls_of("refundStarPayment")[-1]
        assert (int(str(refund["user_id"])), refund["telegram_payment_charge_id"]) == \
            (UID, "charge-2")
        # and the subscription renews no more
        cancel = fake.calls_of("editUserStarSubscription")
        assert [(int(str(c["user_id"])), c["telegram_payment_charge_id"]) for c in cancel] \
            == [(UID, "charge-2")]
        assert cancel[0]["is_canceled"] in (True, "true")
        status, sub = svc.api("GET", f"/user/{UID}/subscription")
        assert (sub["plan_type"], sub["is_vip"]) == ("free", False), sub
        statuses = {p["charge_id"]: p["status"]
                    for p in svc.api("GET", f"/user/{UID}/payments")[1]["payments"]}
        assert statuses == {"charge-1": "paid", "charge-2": "refunded"}
        # again: 200, nothing more
        status, body = admin_api(svc, "POST", f"/user/{UID}/payments/charge-2/refund")
        assert (status, body["refunded_now"]) == (200, False), body
        assert len(fake.calls_of("refundStarPayment")) == 2  # the refused one + this one
        assert events_of(url, "payment_refunded", UID) == 1
        assert svc.api("GET", "/user/999999/payments")[0] == 404
