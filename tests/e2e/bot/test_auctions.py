"""Auctions through the webhook against the fake Bot API: an operator opens one, two users
bid with the buttons, the first is told they were outbid (their besitos back), and when it
ends the scheduler closes it: the winner is told and gets the item, the other is told too."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from tests.e2e.bot.fake_api import FakeBotAPI, button, buttons_of, message
from tests.e2e.bot.service import JWT_SECRET, http, run_service

ANA, BEA = 7401, 7402
# the notices leave through the durable send queue: its sender (issue 17) must be there
pytest.importorskip("yabot.services.messaging.sender")


def _admin_token() -> str:
    now = int(time.time())
    return jwt.encode({"iss": "yabot-api", "aud": "yabot-internal", "sub": "operator",
                       "iat": now, "exp": now + 600, "scope": ["admin"]},
                      JWT_SECRET, algorithm="HS256")


def test_win_an_auction_while_another_user_is_outbid(tmp_path: Path) -> None:
    with FakeBotAPI() as fake, run_service(tmp_path, fake.url, webhook=True) as svc:
        assert fake.wait_for(lambda: bool(fake.calls_of("setWebhook")))
        for n, uid in enumerate((ANA, BEA)):
            assert svc.hook(message(1 + n, uid, "/start"))[0] == 200
            fake.wait_text(uid, "Bienvenida")
            assert svc.api("POST", f"/user/{uid}/besitos", {
                "amount": 50, "reason": "e2e", "idempotency_key": f"seed-{uid}"})[0] == 201
        ends = datetime.now(UTC) + timedelta(seconds=10)
        status, auction = http("POST", svc.base + "/api/v1/auctions",
                               {"item_id": "besito_001", "min_bid": 5,
                                "ends_at": ends.isoformat()},
                               {"Authorization": f"Bearer {_admin_token()}"})
        assert status == 201, auction
        aid = auction["auction_id"]

        # Ana: the list, the auction, the minimum bid
        svc.hook(message(10, ANA, "/subastas"))
        listed = fake.wait_text(ANA, "Subastas abiertas")
        assert f"auc:{aid}" in buttons_of(listed)
        svc.hook(button(11, ANA, f"auc:{aid}"))
        detail = fake.wait_text(ANA, "Puja más alta: ninguna todavía (mínimo 5)")
        bid5 = next(b for b in buttons_of(detail) if b.startswith(f"bid:{aid}:5:"))
        svc.hook(button(12, ANA, bid5))
        fake.wait_text(ANA, "¡Vas ganando")
        svc.hook(button(13, ANA, bid5))  # the same button again: one bid
        fake.wait_text(ANA, "Esa puja ya estaba hecha")
        assert svc.api("GET", f"/user/{ANA}/besitos")[1]["held"] == 5

        # Bea outbids her: 6 + 5
        svc.hook(button(20, BEA, f"auc:{aid}"))
        detail = fake.wait_text(BEA, "Puja más alta: 5")
        bid11 = next(b for b in buttons_of(detail) if b.startswith(f"bid:{aid}:11:"))
        svc.hook(button(21, BEA, bid11))
        fake.wait_text(BEA, "¡Vas ganando")
        fake.wait_text(ANA, "Te superaron en la subasta")
        ana = svc.api("GET", f"/user/{ANA}/besitos")[1]
        bea = svc.api("GET", f"/user/{BEA}/besitos")[1]
        assert (ana["balance"], ana["held"], bea["balance"], bea["held"]) == (50, 0, 39, 11)

        # the end passes: the scheduler closes it once
        fake.wait_text(BEA, "¡Ganaste la subasta", timeout=40)
        fake.wait_text(ANA, "terminó")
        status, closed = svc.api("GET", f"/auctions/{aid}")
        assert (closed["status"], closed["winner_user_id"]) == ("closed", str(BEA))
        bea = svc.api("GET", f"/user/{BEA}/besitos")[1]
        assert (bea["balance"], bea["held"]) == (39, 0)
        items = svc.api("GET", f"/user/{BEA}/inventory")[1]["items"]
        assert {i["item_id"]: i["quantity"] for i in items}.get("besito_001") == 1
        assert fake.count_text(BEA, "¡Ganaste la subasta") == 1
        svc.proc.send_signal(signal.SIGTERM)
        assert svc.proc.wait(timeout=30) == 0
