"""The bot in `/health/ready` and `/metrics`: webhook updates by type, Bot API calls by
method and status (retried attempts included)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.bot.fake_api import FakeBotAPI, message
from tests.e2e.bot.service import http, run_service
from tests.fixtures.common import metric_sample

UID = 7301


def test_health_and_metrics_show_the_bot(tmp_path: Path) -> None:
    with FakeBotAPI() as fake, run_service(tmp_path, fake.url, webhook=True) as svc:
        assert fake.wait_for(lambda: bool(fake.calls_of("setWebhook")))
        fake.fail("sendMessage", 1, status=502)  # the first reply attempt fails, then retried

        assert svc.hook(message(1, UID, "/start"))[0] == 200
        fake.wait_text(UID, "Bienvenida")

        def bot_health() -> dict[str, object]:
            status, body = http("GET", svc.base + "/health/ready")
            assert status == 200, body
            return body["components"]["bot"]  # type: ignore[no-any-return]

        assert fake.wait_for(lambda: bot_health()["detail"]["messages_sent"] == 1)  # type: ignore[index]
        bot = bot_health()
        assert bot["status"] == "up" and bot["backend"] == "webhook", bot
        assert bot["detail"] == {"pending_updates": 0, "processed": 1, "messages_sent": 1,
                                 "webhook": "set"}, bot
        status, text = http("GET", svc.base + "/metrics")
        assert status == 200
    calls = "yabot_bot_api_calls_total"
    assert metric_sample(text, 'yabot_webhook_updates_total{type="message"}') == 1.0
    assert metric_sample(text, calls + '{method="setWebhook",status="ok"}') >= 1.0
    assert metric_sample(text, calls + '{method="sendMessage",status="5xx"}') == 1.0
    assert metric_sample(text, calls + '{method="sendMessage",status="ok"}') >= 1.0
