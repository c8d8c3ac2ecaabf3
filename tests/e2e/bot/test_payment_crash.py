"""`kill -9` between receiving a payment and granting it, then a restart: granted once.

`yabot run` SIGKILLs itself (YABOT_CRASH_AT) while processing the `successful_payment`
update: before the grant transaction, or inside it before the commit. The webhook had
committed the update to the inbox, so the restarted service processes it again.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.bot.fake_api import FakeBotAPI, paid, pre_checkout
from tests.e2e.bot.payments_env import backend_env, db_url, events_of, query, wait_until
from tests.e2e.bot.service import run_service
from tests.e2e.bot.test_payments import buy_offer

pytestmark = pytest.mark.slow
UID = 8301


@pytest.fixture(params=[
    ("sqlite", "payments.before_grant"),
    ("sqlite", "payments.granted_uncommitted"),
    pytest.param(("postgresql", "payments.granted_uncommitted"), marks=pytest.mark.postgres),
], ids=lambda p: "-".join(p))
def case(request: pytest.FixtureRequest) -> tuple[dict[str, str], str]:
    backend, step = request.param
    return backend_env(request, backend), step


def test_crash_between_receipt_and_grant_grants_once(
        tmp_path: Path, case: tuple[dict[str, str], str]) -> None:
    backend, step = case
    url = db_url(tmp_path, backend)
    with FakeBotAPI() as fake:
        with run_service(tmp_path, fake.url, webhook=True, YABOT_CRASH_AT=step,
                         **backend) as svc:
            payload = buy_offer(fake, svc, UID, 1)
            svc.hook(pre_checkout(3, UID, payload))
            assert fake.wait_for(lambda: bool(fake.calls_of("answerPreCheckoutQuery")))
            # the 200 comes after the inbox commit; the kill may race the answer
            with contextlib.suppress(OSError):
                svc.hook(paid(4, UID, "charge-crash", payload))
            assert wait_until(lambda: svc.proc.poll() is not None, timeout=30), svc.log()
            assert svc.proc.returncode == -9
        assert query(url, "SELECT count(*) FROM payments")[0][0] == 0  # nothing half-written
        assert query(url, "SELECT count(*) FROM processed_updates WHERE update_id = 4"
                     " AND status = 'pending'")[0][0] == 1

        before = datetime.now(UTC)
        with run_service(tmp_path, fake.url, webhook=True, **backend) as svc:
            fake.wait_text(UID, "Tu pago de 250 estrellas está registrado")
            svc.hook(paid(4, UID, "charge-crash", payload))  # Telegram's redelivery
            svc.hook(paid(5, UID, "charge-crash", payload))
            assert wait_until(lambda: query(
                url, "SELECT count(*) FROM processed_updates WHERE update_id = 5"
                " AND status = 'done'")[0][0] == 1)
            sub = svc.api("GET", f"/user/{UID}/subscription")[1]
            assert sub["is_vip"] is True, sub
            end = datetime.fromisoformat(sub["end_date"])
            assert end - before < timedelta(days=30, minutes=1)  # one grant, not two
            listed = svc.api("GET", f"/user/{UID}/payments")[1]
            assert [p["charge_id"] for p in listed["payments"]] == ["charge-crash"]
            assert events_of(url, "payment_received", UID) == 1
            assert events_of(url, "subscription_started", UID) == 1
            time.sleep(0.5)
            assert fake.count_text(UID, "está registrado") == 1
