"""`yabot run` in polling mode while the Bot API fails: 502s and 429 + retry_after are
retried, and every update is answered exactly once."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.e2e.bot.fake_api import FakeBotAPI, button, buttons_of, message, reaction
from tests.e2e.bot.service import BOT_TOKEN, run_service

UID = 8001


def test_polling_survives_telegram_errors_and_loses_nothing(tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        fake.fail("getUpdates", 1, 502)
        fake.fail("getUpdates", 1, 429, retry_after=1)
        # no daily missions: the only rewards are the reaction's 3 and the demo's
        # first-reaction achievement (+2), so the balance is exact
        with run_service(tmp_path, fake.url, webhook=False, MISSIONS_PER_DAY="0") as svc:
            fake.fail("sendMessage", 2, 502)
            fake.fail("sendMessage", 1, 429, retry_after=1)
            fake.push(message(10, UID, "/start"))
            welcome = fake.wait_text(UID, "Bienvenida")
            assert "menu:story" in buttons_of(welcome)
            polls = fake.calls_of("getUpdates")
            assert {"message_reaction", "callback_query"} <= set(
                json.loads(polls[-1]["allowed_updates"]))
            assert fake.calls_of("deleteWebhook"), "polling must remove a webhook first"

            fake.push(button(11, UID, "menu:story"))
            fake.wait_text(UID, "El Comienzo")
            fake.fail("sendMessage", 3, 502)
            fake.push(button(12, UID, "story:fragment_001:choice_a"))
            forest = fake.wait_text(UID, "El Bosque Susurrante")
            assert "story:forest_001:choice_dig" in buttons_of(forest)

            fake.push(reaction(13, UID, message_id=1001, emoji="🔥"))
            fake.wait_text(UID, "+3 besitos")
            fake.wait_text(UID, "Logro desbloqueado")
            fake.push(button(14, UID, "story:forest_001:choice_dig"))
            fake.wait_text(UID, "es un capítulo VIP")

            # Telegram serves confirmed updates again: they are not processed twice
            fake.redeliver(message(10, UID, "/start"), button(12, UID,
                                                             "story:fragment_001:choice_a"))
            fake.push(message(15, UID, "/besitos"))
            fake.wait_text(UID, "Tienes <b>5</b> besitos")
            for text in ("Bienvenida", "El Comienzo", "El Bosque Susurrante", "+3 besitos",
                         "Logro desbloqueado", "es un capítulo VIP"):
                assert fake.count_text(UID, text) == 1, (text, fake.sent_to(UID))

            svc.proc.send_signal(signal.SIGTERM)
            assert svc.proc.wait(timeout=30) == 0
            log = svc.log()
    assert "retry" in log.lower()
    assert BOT_TOKEN not in log and BOT_TOKEN.split(":")[1] not in log
