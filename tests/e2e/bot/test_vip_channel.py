"""The VIP channel over the webhook against the fake Bot API: the command list and update
types at start, join requests from a VIP and a non-VIP, the one-person invite link, the
expiry reminder, and the removal once the plan ends (ban then unban, told why, once)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.bot.fake_api import (
    FakeBotAPI,
    join_request,
    member_change,
    message,
    paid,
    pre_checkout,
    url_buttons_of,
)
from tests.e2e.bot.payments_env import BACKENDS, backend_env, db_url, events_of
from tests.e2e.bot.service import run_service
from tests.e2e.bot.test_payments import buy_offer

CHANNEL = -1001234567890
VIP, GUEST = 8201, 8202


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> dict[str, str]:
    return backend_env(request)


@pytest.mark.slow
def test_join_requests_invite_expiry_reminder_and_removal(
        tmp_path: Path, backend: dict[str, str]) -> None:
    url = db_url(tmp_path, backend)
    with FakeBotAPI() as fake, run_service(tmp_path, fake.url, webhook=True,
                                           VIP_CHANNEL_ID=str(CHANNEL), VIP_SWEEP_SECONDS="2",
                                           **backend) as svc:
        # start-up: the command list (es default + en) and every update type we handle
        assert fake.wait_for(lambda: len(fake.calls_of("setMyCommands")) >= 2)
        lists = {c.get("language_code"): [x["command"] for x in json.loads(str(c["commands"]))]
                 for c in fake.calls_of("setMyCommands")}
        assert {"terms", "paysupport", "vip"} <= set(lists[None])
        assert {"terms", "paysupport", "vip"} <= set(lists["en"])
        assert fake.wait_for(lambda: bool(fake.calls_of("setWebhook")))
        allowed = set(json.loads(str(fake.calls_of("setWebhook")[-1]["allowed_updates"])))
        assert {"pre_checkout_query", "chat_join_request", "chat_member",
                "message", "callback_query"} <= allowed

        # a non-VIP asking to join: declined, and told how to become VIP
        svc.hook(join_request(1, GUEST, CHANNEL))
        assert fake.wait_for(lambda: bool(fake.calls_of("declineChatJoinRequest")))
        assert int(str(fake.calls_of("declineChatJoinRequest")[0]["user_id"])) == GUEST
        fake.wait_text(GUEST, "/vip")
        assert not fake.calls_of("approveChatJoinRequest")

        # buying VIP sends a one-person invite link that expires
        payload = buy_offer(fake, svc, VIP, 10)
        svc.hook(pre_checkout(12, VIP, payload))
        svc.hook(paid(13, VIP, "charge-vip", payload))
        invite = fake.wait_text(VIP, "enlace personal al canal VIP")
        assert url_buttons_of(invite)[0].startswith("https://t.me/+invite")
        link = fake.calls_of("createChatInviteLink")[0]
        assert int(str(link["chat_id"])) == CHANNEL
        assert int(str(link["member_limit"])) == 1
        assert int(str(link["expire_date"])) > time.time()

        # the VIP's join request is approved; joining and leaving become events
        svc.hook(join_request(14, VIP, CHANNEL))
        assert fake.wait_for(lambda: bool(fake.calls_of("approveChatJoinRequest")))
        assert int(str(fake.calls_of("approveChatJoinRequest")[0]["user_id"])) == VIP
        svc.hook(member_change(15, VIP, CHANNEL, "left", "member"))
        svc.hook(member_change(16, VIP, CHANNEL, "left", "member"))  # no change: no event
        svc.hook(message(17, VIP, "/terms"))
        fake.wait_text(VIP, "Términos de venta")
        assert events_of(url, "user_joined_channel", VIP) == 1

        # the plan now ends in 6 s: the reminder, then the end, the notice and the removal
        end = datetime.now(UTC) + timedelta(seconds=6)
        assert svc.api("PUT", f"/user/{VIP}/subscription",
                       {"plan_type": "vip", "end_date": end.isoformat()})[0] == 200
        fake.wait_text(VIP, "Tu plan VIP termina el", timeout=30)
        assert fake.wait_for(lambda: bool(fake.calls_of("banChatMember")), timeout=60)
        removed_at = datetime.now(UTC)
        assert removed_at - end < timedelta(seconds=60)
        assert fake.wait_for(lambda: bool(fake.calls_of("unbanChatMember")), timeout=10)
        ban, unban = fake.calls_of("banChatMember")[0], fake.calls_of("unbanChatMember")[0]
        assert (int(str(ban["chat_id"])), int(str(ban["user_id"]))) == (CHANNEL, VIP)
        assert (int(str(unban["chat_id"])), int(str(unban["user_id"]))) == (CHANNEL, VIP)
        fake.wait_text(VIP, "ya no tienes acceso al canal VIP")
        fake.wait_text(VIP, "Tu plan VIP ha terminado. Escribe /vip")
        svc.hook(member_change(18, VIP, CHANNEL, "member", "left"))
        svc.hook(message(19, VIP, "/help"))
        fake.wait_text(VIP, "Comandos")
        assert events_of(url, "user_left_channel", VIP) == 1
        assert events_of(url, "subscription_expired", VIP) == 1
        assert events_of(url, "subscription_expiring", VIP) == 1

        time.sleep(5)  # another sweep or two (every 2 s here): the removal is not repeated
        assert len(fake.calls_of("banChatMember")) == 1
        assert fake.count_text(VIP, "ya no tienes acceso al canal VIP") == 1
        # the VIP channel is only for VIP: the expired user's new request is declined
        svc.hook(join_request(20, VIP, CHANNEL))
        assert fake.wait_for(lambda: len(fake.calls_of("declineChatJoinRequest")) == 2)

