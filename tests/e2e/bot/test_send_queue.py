"""The send queue across a crash: a reply committed with its update and killed (-9) while
its send was in flight is sent after a restart, once."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.bot.fake_api import FakeBotAPI, message
from tests.e2e.bot.service import run_service

UID = 777001
pytestmark = pytest.mark.slow


def test_a_committed_reply_survives_kill_9_and_goes_out_once(tmp_path: Path) -> None:
    with FakeBotAPI() as fake:
        fake.hold("sendMessage", 30)  # the send hangs: committed, claimed, not delivered
        with run_service(tmp_path, fake.url, webhook=True,
                         TELEGRAM_SEND_LEASE_SECONDS="2") as svc:
            assert fake.wait_for(lambda: bool(fake.calls_of("setWebhook")))
            assert svc.hook(message(1, UID, "/start"))[0] == 200
            assert fake.wait_for(lambda: bool(fake.calls_of("held:sendmessage")))
            svc.proc.kill()
            svc.proc.wait()
        fake.held.clear()
        assert fake.count_text(UID, "Bienvenida") == 0
        with run_service(tmp_path, fake.url, webhook=True,
                         TELEGRAM_SEND_LEASE_SECONDS="2") as svc:
            fake.wait_text(UID, "Bienvenida")  # the lease ran out: claimed again and sent
            svc.hook(message(2, UID, "/help"))
            fake.wait_text(UID, "Comandos:")
            assert fake.count_text(UID, "Bienvenida") == 1
            assert svc.log().count("update processed") == 1  # /help only: /start was done
            svc.proc.send_signal(signal.SIGTERM)
            assert svc.proc.wait(timeout=30) == 0
