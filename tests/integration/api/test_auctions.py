"""/api/v1/auctions against real stores: open (admin), bid (holds), read, the close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.api.conftest import ApiEnv, bearer, hs_token
from yabot.storage.sql.tables_auctions import auctions


def _later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def _open(api: ApiEnv, **body: Any) -> dict[str, Any]:
    r = await api.client.post("/api/v1/auctions", headers=api.headers,
                              json={"item_id": "besito_001", "min_bid": 5,
                                    "ends_at": _later(hours=1), **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def _fund(api: ApiEnv, uid: int, amount: int) -> str:
    user = await api.register(uid)
    await api.services.domain.besitos.award(user, amount, "admin:seed", f"seed-{user}")
    return user


async def _wallet(api: ApiEnv, user: str) -> tuple[int, int]:
    body = (await api.client.get(f"/api/v1/user/{user}/besitos", headers=api.headers)).json()
    return body["balance"], body["held"]


async def test_bid_outbid_raise_replay_and_close(api: ApiEnv) -> None:
    ana, bea = await _fund(api, 8101, 50), await _fund(api, 8102, 50)
    auction = await _open(api)
    aid = auction["auction_id"]
    assert auction["status"] == "open" and auction["highest_bid"] is None
    bids = f"/api/v1/auctions/{aid}/bids"
    first = await api.client.post(bids, headers=api.headers,
                                  json={"user_id": ana, "amount": 10, "idempotency_key": "a1"})
    assert first.status_code == 201, first.text
    assert await _wallet(api, ana) == (40, 10)
    again = await api.client.post(bids, headers=api.headers,
                                  json={"user_id": ana, "amount": 10, "idempotency_key": "a1"})
    assert again.status_code == 200 and again.json()["applied"] is False
    assert await _wallet(api, ana) == (40, 10)
    low = await api.client.post(bids, headers=api.headers,
                                json={"user_id": bea, "amount": 10, "idempotency_key": "b1"})
    assert low.status_code == 409 and low.json()["error"]["code"] == "bid_too_low"
    poor = await api.client.post(bids, headers=api.headers,
                                 json={"user_id": bea, "amount": 51, "idempotency_key": "b2"})
    assert poor.status_code == 409 and poor.json()["error"]["code"] == "insufficient_funds"
    lead = await api.client.post(bids, headers=api.headers,
                                 json={"user_id": bea, "amount": 20, "idempotency_key": "b3"})
    assert lead.status_code == 201
    assert await _wallet(api, ana) == (50, 0) and await _wallet(api, bea) == (30, 20)
    raised = await api.client.post(bids, headers=api.headers,  # 50 free, nothing held
                                   json={"user_id": ana, "amount": 50, "idempotency_key": "a2"})
    assert raised.status_code == 201 and await _wallet(api, ana) == (0, 50)
    got = (await api.client.get(f"/api/v1/auctions/{aid}", headers=api.headers)).json()
    assert (got["highest_bid"], got["highest_bidder"], got["winner_user_id"]) == (50, ana, None)

    async with api.services.stores.sql.write() as conn:  # its end passes
        await conn.execute(auctions.update().where(auctions.c.auction_id == aid)
                           .values(ends_at=datetime.now(UTC) - timedelta(seconds=1)))
    closed_bid = await api.client.post(bids, headers=api.headers, json={
        "user_id": bea, "amount": 60, "idempotency_key": "b4"})
    assert closed_bid.status_code == 409
    assert closed_bid.json()["error"]["code"] == "auction_closed"
    assert await api.services.domain.auctions.close_due() == 1
    got = (await api.client.get(f"/api/v1/auctions/{aid}", headers=api.headers)).json()
    assert (got["status"], got["winner_user_id"]) == ("closed", ana)
    assert await _wallet(api, ana) == (0, 0) and await _wallet(api, bea) == (50, 0)
    inventory = await api.client.get(f"/api/v1/user/{ana}/inventory", headers=api.headers)
    if inventory.status_code == 200:  # the shop's route (econ-core) once it is wired
        assert {i["item_id"]: i["quantity"] for i in inventory.json()["items"]} == {
            "besito_001": 1}
    assert [e["user_id"] for e in await api.events("auction_won")] == [ana]


async def test_scopes_validation_and_not_found(api_embedded: ApiEnv) -> None:
    api = api_embedded
    body = {"item_id": "besito_001", "min_bid": 5, "ends_at": _later(hours=1)}
    rw = bearer(hs_token(("read", "write")))
    assert (await api.client.post("/api/v1/auctions", headers=rw, json=body)).status_code == 403
    admin_only = bearer(hs_token(("admin",)))
    assert (await api.client.post("/api/v1/auctions", headers=admin_only,
                                  json=body)).status_code == 201
    past = await api.client.post("/api/v1/auctions", headers=api.headers,
                                 json={**body, "ends_at": _later(hours=-1)})
    assert past.status_code == 422 and past.json()["error"]["code"] == "validation_error"
    naive = await api.client.post("/api/v1/auctions", headers=api.headers,
                                  json={**body, "ends_at": "2030-01-01T00:00:00"})
    assert naive.status_code == 422
    unknown = await api.client.post("/api/v1/auctions", headers=api.headers,
                                    json={**body, "item_id": "nope"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "item_not_found"
    missing = await api.client.get("/api/v1/auctions/abc", headers=api.headers)
    assert missing.status_code == 404 and "abc" in missing.json()["error"]["message"]
    aid = (await _open(api))["auction_id"]
    nobody = await api.client.post(f"/api/v1/auctions/{aid}/bids", headers=api.headers,
                                   json={"user_id": "424242", "amount": 9,
                                         "idempotency_key": "x"})
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "user_not_found"
    zero = await api.client.post(f"/api/v1/auctions/{aid}/bids", headers=api.headers,
                                 json={"user_id": "1", "amount": 0, "idempotency_key": "x"})
    assert zero.status_code == 422
    listed = (await api.client.get("/api/v1/auctions?status=open",
                                   headers=api.headers)).json()["auctions"]
    assert len(listed) == 2 and all(a["status"] == "open" for a in listed)
