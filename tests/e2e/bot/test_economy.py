"""The economy through the webhook against the fake Bot API: buy an item and use it to
reveal a hint, unlock an achievement and complete a mission with the first reaction,
answer a trivia question twice."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.e2e.bot.fake_api import FakeBotAPI, button, buttons_of, message, reaction
from tests.e2e.bot.service import run_service

UID = 7301


def test_shop_inventory_achievement_mission_and_trivia(tmp_path: Path) -> None:
    with FakeBotAPI() as fake, run_service(tmp_path, fake.url, webhook=True,
                                           MISSIONS_PER_DAY="5") as svc:
        assert fake.wait_for(lambda: bool(fake.calls_of("setWebhook")))
        assert svc.hook(message(1, UID, "/start"))[0] == 200
        fake.wait_text(UID, "Bienvenida")
        assert svc.api("POST", f"/user/{UID}/besitos", {
            "amount": 10, "reason": "e2e", "idempotency_key": "seed"})[0] == 201

        # the shop: list, look at the lantern, confirm; the same button again buys nothing
        svc.hook(message(2, UID, "/tienda"))
        shop = fake.wait_text(UID, "La tienda del mercado")
        assert "shop:view:lantern_001:" in buttons_of(shop)
        svc.hook(button(3, UID, "shop:view:lantern_001:"))
        confirm = fake.wait_text(UID, "¿Comprar <b>Farol de Luciérnagas</b> por 5 besitos?")
        buy = next(b for b in buttons_of(confirm) if b.startswith("shop:buy:lantern_001:"))
        svc.hook(button(4, UID, buy))
        fake.wait_text(UID, "¡Compraste <b>Farol de Luciérnagas</b>!")
        svc.hook(button(5, UID, buy))
        fake.wait_text(UID, "Esa compra ya estaba hecha")
        fake.wait_text(UID, "Logro desbloqueado: Buena Clienta")  # no besitos for buying
        assert svc.api("GET", f"/user/{UID}/besitos")[1]["balance"] == 10 - 5

        # the inventory: use the lantern (twice on the same button: used once)
        svc.hook(message(6, UID, "/inventario"))
        inventory = fake.wait_text(UID, "Tu inventario")
        use = next(b for b in buttons_of(inventory) if b.startswith("use:lantern_001:"))
        svc.hook(button(7, UID, use))
        revealed = fake.wait_text(UID, "Pista revelada")
        assert "La luz del bosque se apaga con la prisa" in revealed["text"]
        svc.hook(button(8, UID, use))
        assert fake.wait_for(lambda: fake.count_text(UID, "Pista revelada") == 2)
        status, body = svc.api("GET", f"/user/{UID}/inventory")
        assert status == 200 and body["items"] == [], body
        fake.wait_text(UID, "Pista desbloqueada")  # the effect, applied by the narrative

        # the first reaction: achievement (+2) and the day's "react once" mission (+1)
        svc.hook(reaction(9, UID, message_id=1003))
        fake.wait_text(UID, "Logro desbloqueado: Primer Besito")
        fake.wait_text(UID, "Misión cumplida: Reacciona a un mensaje")
        status, body = svc.api("GET", f"/user/{UID}/missions")
        done = {m["mission_id"]: m for m in body["missions"]}
        assert done["react_1"]["status"] == "completed" and done["react_1"]["progress"] == 1
        status, body = svc.api("GET", f"/user/{UID}/achievements")
        unlocked = {a["achievement_id"] for a in body["achievements"] if a["unlocked_at"]}
        assert unlocked == {"first_reaction", "first_purchase"}, body

        # trivia: the right answer pays once; a second press changes nothing
        before = svc.api("GET", f"/user/{UID}/besitos")[1]["balance"]
        svc.hook(message(10, UID, "/trivia"))
        question = fake.wait_text(UID, "¿Qué brilla bajo las raíces del roble antiguo?")
        assert buttons_of(question)[0] == "trivia:q_roble:0"
        svc.hook(button(11, UID, "trivia:q_roble:0"))
        fake.wait_text(UID, "¡Correcto! +2 besitos")
        svc.hook(button(12, UID, "trivia:q_roble:1"))
        fake.wait_text(UID, "Ya respondiste esta pregunta")
        svc.hook(message(13, UID, "/misiones"))
        fake.wait_text(UID, "Misiones de hoy")
        # +2 trivia, +2 for the "answer one question" mission
        assert fake.wait_for(lambda: svc.api("GET", f"/user/{UID}/besitos")[1]["balance"]
                             == before + 4, timeout=15)
        svc.proc.send_signal(signal.SIGTERM)
        assert svc.proc.wait(timeout=30) == 0
