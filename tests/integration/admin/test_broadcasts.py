"""/admin/broadcasts: the form (CSRF, validation, idempotent resubmit) and the progress."""

from __future__ import annotations

from tests.integration.admin.conftest import OPERATOR, PanelEnv

PAGE = "/admin/broadcasts"


async def test_send_a_broadcast_from_the_panel(panel: PanelEnv) -> None:
    for uid in (601, 602):
        await panel.register(uid)
    await panel.login()
    form = {"text": "¡Novedades en la historia!", "segment": "all",
            "idempotency_key": "b" * 16}
    missing = await panel.client.post(PAGE, data=form)  # no CSRF token
    assert missing.status_code == 403
    assert await panel.services.domain.broadcasts.recent() == []

    r = await panel.post(PAGE, form, page=PAGE)
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?done=broadcast"
    await panel.post(PAGE, form, page=PAGE)  # resubmitted: still one broadcast
    rows = await panel.services.domain.broadcasts.recent()
    assert [(b.total, b.status, b.segment) for b in rows] == [(2, "queued", "all")]
    shown = (await panel.client.get(PAGE)).text
    assert f'id="broadcast-{rows[0].broadcast_id}"' in shown
    assert "Novedades en la historia" in shown and "<progress" in shown
    audit = await panel.panel.context.accounts.recent_audit(
        target=f"#{rows[0].broadcast_id}")
    assert [(a.username, a.action) for a in audit] == [(OPERATOR, "broadcast")]


async def test_bad_broadcast_input_is_rejected(panel: PanelEnv) -> None:
    await panel.login()
    for form in ({"text": "  ", "segment": "all"}, {"text": "x", "segment": "gold"},
                 {"text": "x" * 5000, "segment": "vip"}):
        r = await panel.post(PAGE, {**form, "idempotency_key": "c" * 16}, page=PAGE)
        assert r.headers["location"] == f"{PAGE}?error=invalid"
    assert await panel.services.domain.broadcasts.recent() == []
