"""`yabot run` in webhook mode against a fake Bot API over HTTP: the whole user journey."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.e2e.bot.fake_api import FakeBotAPI, button, buttons_of, message, reaction
from tests.e2e.bot.service import BOT_TOKEN, HOOK_SECRET, JWT_SECRET, run_service

UID = 7001


def test_webhook_journey_dedup_secret_and_clean_logs(tmp_path: Path) -> None:
    with FakeBotAPI() as fake, run_service(tmp_path, fake.url, webhook=True,
                                           MISSIONS_PER_DAY="0") as svc:
        assert fake.wait_for(lambda: bool(fake.calls_of("setWebhook")))
        hook = fake.calls_of("setWebhook")[-1]
        assert hook["secret_token"] == HOOK_SECRET
        assert hook["url"] == svc.base + "/telegram/webhook"
        assert {"message_reaction", "callback_query"} <= set(json.loads(hook["allowed_updates"]))

        # a wrong or missing secret: 401 and nothing recorded (the update_id stays fresh)
        assert svc.hook(message(1, UID, "/start"), secret="wrong")[0] == 401
        assert svc.hook(message(1, UID, "/start"), secret=None)[0] == 401
        assert svc.hook(b"{not json")[0] == 400
        assert svc.hook({"update_id": "x"})[0] == 400

        status, body = svc.hook(message(1, UID, "/start"))
        assert (status, body) == (200, {"ok": True})
        welcome = fake.wait_text(UID, "Bienvenida")
        assert "menu:story" in buttons_of(welcome)

        svc.hook(button(2, UID, "menu:story"))
        story = fake.wait_text(UID, "El Comienzo")
        assert "story:fragment_001:choice_a" in buttons_of(story)

        svc.hook(button(3, UID, "story:fragment_001:choice_a"))
        forest = fake.wait_text(UID, "El Bosque Susurrante")
        assert "story:forest_001:choice_dig" in buttons_of(forest)

        # a reaction to a message earns besitos (the notice comes through the bus)
        svc.hook(reaction(4, UID, message_id=1003))
        fake.wait_text(UID, "+3 besitos")
        fake.wait_text(UID, "Logro desbloqueado: Primer Besito")  # the demo's +2
        status, wallet = svc.api("GET", f"/user/{UID}/besitos")
        assert status == 200, wallet
        assert wallet["balance"] == 5, wallet

        # the VIP gate: a free user is invited to upgrade and stays on forest_001
        svc.hook(button(5, UID, "story:forest_001:choice_dig"))
        gate = fake.wait_text(UID, "es un capítulo VIP")
        assert "El Secreto del Roble" in gate["text"]
        status, state = svc.api("GET", f"/user/{UID}/state")
        assert state["current_state"]["narrative_progress"]["current_fragment"] == "forest_001"

        # redelivered update ids are answered 200 and not processed again; the user's
        # updates run in order, so once the reply to update 6 is out, 1 and 3 would be too
        assert svc.hook(button(3, UID, "story:fragment_001:choice_a"))[0] == 200
        assert svc.hook(message(1, UID, "/start"))[0] == 200
        svc.hook(message(6, UID, "/besitos"))
        fake.wait_text(UID, "Tienes <b>5</b> besitos")
        assert fake.count_text(UID, "Bienvenida") == 1
        assert fake.count_text(UID, "El Bosque Susurrante") == 1
        fake.fail("sendMessage", 2, 502)  # Telegram trouble: the reply is retried
        fake.fail("sendMessage", 1, 429, retry_after=1)
        svc.hook(message(7, UID, "/nada"))
        fake.wait_text(UID, "No conozco el comando /nada")
        assert fake.count_text(UID, "No conozco el comando /nada") == 1

        # a VIP user passes the gate; English for a user who prefers it
        assert svc.api("PUT", f"/user/{UID}/subscription",
                       {"plan_type": "vip", "end_date": "2099-01-01T00:00:00Z"})[0] == 200
        assert svc.api("PUT", f"/user/{UID}/preferences", {"language": "en"})[0] == 200
        svc.hook(button(8, UID, "story:forest_001:choice_dig"))
        secret = fake.wait_text(UID, "Bajo las raíces descubres un cofre")
        assert "El Secreto del Roble" in secret["text"]
        svc.hook(message(9, UID, "/help"))
        fake.wait_text(UID, "Commands:")

        svc.proc.send_signal(signal.SIGTERM)
        assert svc.proc.wait(timeout=30) == 0
        log = svc.log()
    assert "Telegram bot started" in log
    for secret_value in (BOT_TOKEN, HOOK_SECRET, JWT_SECRET, BOT_TOKEN.split(":")[1]):
        assert secret_value not in log


def test_an_acknowledged_update_survives_a_crash(tmp_path: Path) -> None:
    """200 means stored: killed (-9) before it could reply, the service replies after a
    restart on the same database, once."""
    with FakeBotAPI() as fake:
        with run_service(tmp_path, fake.url, webhook=True) as svc:
            assert fake.wait_for(lambda: bool(fake.calls_of("setWebhook")))
            fake.fail("sendMessage", 1000, 502)  # Telegram is down: the reply cannot go out
            assert svc.hook(message(1, UID, "/start"))[0] == 200
            svc.proc.kill()
            svc.proc.wait()
        fake.failures.clear()
        with run_service(tmp_path, fake.url, webhook=True) as svc:
            fake.wait_text(UID, "Bienvenida")
            svc.hook(message(2, UID, "/help"))
            fake.wait_text(UID, "Comandos:")
            assert fake.count_text(UID, "Bienvenida") == 1
            svc.proc.send_signal(signal.SIGTERM)
            assert svc.proc.wait(timeout=30) == 0
