"""Operator actions over real services: every POST needs the session's CSRF token, goes
through the domain services (so events are published) and is audited."""

from __future__ import annotations

from tests.integration.admin.conftest import OPERATOR, PanelEnv
from yabot.domain.events import UserActivity, UserActivityPayload
from yabot.storage.sql.tables import dead_letters


async def test_post_without_or_with_a_wrong_csrf_token_changes_nothing(panel: PanelEnv) -> None:
    user = await panel.register(501)
    await panel.login()
    form = {"plan_type": "vip", "days": "30"}
    missing = await panel.client.post(f"/admin/users/{user}/subscription", data=form)
    wrong = await panel.client.post(f"/admin/users/{user}/subscription",
                                    data={**form, "csrf_token": "not-the-token"})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert (await panel.services.domain.subscriptions.get(user)).plan_type == "free"
    assert await panel.events("subscription_updated", user) == []
    assert await panel.panel.context.accounts.recent_audit(target=user) == []


async def test_unauthenticated_post_redirects_and_changes_nothing(panel: PanelEnv) -> None:
    user = await panel.register(502)
    r = await panel.client.post(f"/admin/users/{user}/subscription",
                                data={"plan_type": "vip", "days": "30", "csrf_token": "x"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert (await panel.services.domain.subscriptions.get(user)).plan_type == "free"


async def test_grant_and_cancel_a_plan(panel_any: PanelEnv) -> None:
    panel = panel_any
    user = await panel.register(503)
    await panel.login()
    page = f"/admin/users/{user}"
    r = await panel.post(f"{page}/subscription", {"plan_type": "vip", "days": "30"}, page=page)
    assert r.status_code == 303 and r.headers["location"] == f"{page}?done=subscription"
    view = await panel.services.domain.subscriptions.get(user)
    assert (view.plan_type, view.status, view.is_vip) == ("vip", "active", True)
    shown = (await panel.client.get(page)).text
    assert 'id="plan-type">vip<' in shown and "subscription_updated" in shown
    events = await panel.events("subscription_updated", user)
    assert [e["payload"]["status"] for e in events] == ["active"]
    await panel.post(f"{page}/subscription", {"plan_type": "free"}, page=page)
    assert (await panel.services.domain.subscriptions.get(user)).plan_type == "free"
    audit = await panel.panel.context.accounts.recent_audit(target=user)
    assert [(a.username, a.action) for a in audit] == [(OPERATOR, "subscription")] * 2


async def test_bad_plan_input_is_rejected(panel: PanelEnv) -> None:
    user = await panel.register(504)
    await panel.login()
    page = f"/admin/users/{user}"
    for form in ({"plan_type": "gold", "days": "3"}, {"plan_type": "vip", "days": "0"},
                 {"plan_type": "vip", "days": "abc"}, {"plan_type": "vip"}):
        r = await panel.post(f"{page}/subscription", form, page=page)
        assert r.headers["location"] == f"{page}?error=invalid"
    assert (await panel.services.domain.subscriptions.get(user)).plan_type == "free"


async def test_award_and_deduct_besitos(panel_any: PanelEnv) -> None:
    panel = panel_any
    user = await panel.register(505)
    await panel.login()
    page = f"/admin/users/{user}"
    form = {"amount": "25", "direction": "award", "reason": "premio", "idempotency_key":
            "k" * 16}
    await panel.post(f"{page}/besitos", form, page=page)
    await panel.post(f"{page}/besitos", form, page=page)  # same form again: applied once
    assert await panel.services.domain.besitos.balance(user) == 25
    await panel.post(f"{page}/besitos", {**form, "direction": "deduct", "amount": "5",
                                         "idempotency_key": "d" * 16}, page=page)
    assert await panel.services.domain.besitos.balance(user) == 20
    too_much = await panel.post(f"{page}/besitos", {**form, "direction": "deduct",
                                                    "amount": "500",
                                                    "idempotency_key": "e" * 16}, page=page)
    assert too_much.headers["location"] == f"{page}?error=insufficient_funds"
    shown = (await panel.client.get(page)).text
    assert 'id="balance">20<' in shown and "besitos_awarded" in shown
    assert len(await panel.events("besitos_awarded", user)) == 1
    actions = [a.action for a in await panel.panel.context.accounts.recent_audit(target=user)]
    assert actions == ["besitos_deduct", "besitos_award"]


async def test_delete_user_after_confirmation(panel: PanelEnv) -> None:
    user = await panel.register(506)
    await panel.login()
    confirm = await panel.client.get(f"/admin/users/{user}/delete")
    assert confirm.status_code == 200 and 'name="confirm"' in confirm.text
    unconfirmed = await panel.post(f"/admin/users/{user}/delete", {})
    assert unconfirmed.headers["location"].endswith("error=invalid")
    r = await panel.post(f"/admin/users/{user}/delete", {"confirm": user})
    assert r.headers["location"] == "/admin/users?done=deleted"
    assert len(await panel.events("user_deleted", user)) == 1
    assert (await panel.client.get(f"/admin/users/{user}")).status_code == 404


async def test_replay_a_dead_letter(panel: PanelEnv) -> None:
    event = UserActivity(user_id="9001", payload=UserActivityPayload(activity="x"))
    async with panel.services.stores.sql.write() as conn:
        result = await conn.execute(dead_letters.insert().values(
            event_id=event.event_id, event_type=event.event_type, consumer_group="g1",
            event_data=event.to_json(), error="RuntimeError: <b>boom</b>", attempts=5))
        dl_id = int(result.inserted_primary_key[0])
    await panel.login()
    listed = (await panel.client.get("/admin/events")).text
    assert f'id="dead-letter-{dl_id}"' in listed and "RuntimeError: &lt;b&gt;boom" in listed
    r = await panel.post(f"/admin/events/dead-letters/{dl_id}/replay", {}, page="/admin/events")
    assert r.headers["location"] == "/admin/events?done=replayed"
    assert (await panel.services.domain.dead_letters.get(dl_id)).replayed_at is not None
    again = await panel.post(f"/admin/events/dead-letters/{dl_id}/replay", {},
                             page="/admin/events")
    assert again.headers["location"] == "/admin/events?error=already_replayed"
    audit = await panel.panel.context.accounts.recent_audit(target=event.event_id)
    assert [a.action for a in audit] == ["replay_dead_letter"]


async def test_upload_content_pack(panel: PanelEnv) -> None:
    await panel.login()
    bad = "fragments:\n  - fragment_id: x_001\n    title: X\n"
    r = await panel.post("/admin/content", {}, page="/admin/content",
                         files={"pack": ("bad.yaml", bad.encode(), "application/yaml")})
    assert r.status_code == 422 and 'id="pack-errors"' in r.text and "bad.yaml" in r.text
    assert "x_001" not in (await panel.client.get("/admin/content")).text
    good = ("fragments:\n  - fragment_id: admin_001\n    title: Desde el panel\n"
            "    content: Hola\n")
    ok = await panel.post("/admin/content", {}, page="/admin/content",
                          files={"pack": ("good.yaml", good.encode(), "application/yaml")})
    assert ok.status_code == 200, ok.text[-2000:]
    assert 'id="pack-loaded"' in ok.text and "admin_001" in ok.text
    assert (await panel.services.domain.narrative.get_fragment("admin_001")).title \
        == "Desde el panel"
