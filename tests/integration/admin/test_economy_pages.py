"""The economy's panel pages over real services: auctions (open, watch, close), the economy
charts (created and spent per day by source, the money supply), the user page's economy
cards and the content page's new sections."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.integration.admin.conftest import PanelEnv


async def _auction_id(location: str) -> str:
    match = re.fullmatch(r"/admin/auctions/([A-Za-z0-9_-]+)", location)
    assert match, location
    return match.group(1)


async def test_open_watch_and_close_an_auction(panel_any: PanelEnv) -> None:
    panel = panel_any
    domain = panel.services.domain
    ana, bea = await panel.register(601), await panel.register(602, first_name="Bea")
    for user in (ana, bea):
        await domain.besitos.award(user, 30, "reaction", f"seed-{user}")
    await panel.login()
    invalid = await panel.post("/admin/auctions", {"item_id": "besito_001", "min_bid": "0",
                                                   "minutes": "10"}, page="/admin/auctions")
    assert invalid.headers["location"] == "/admin/auctions?error=invalid"
    unknown = await panel.post("/admin/auctions", {"item_id": "nope", "min_bid": "3",
                                                   "minutes": "10"}, page="/admin/auctions")
    assert unknown.headers["location"] == "/admin/auctions?error=not_found"
    assert await domain.auctions.listing() == []
    opened = await panel.post("/admin/auctions", {"item_id": "besito_001", "min_bid": "3",
                                                  "minutes": "60"}, page="/admin/auctions")
    assert opened.status_code == 303
    aid = await _auction_id(opened.headers["location"])
    await domain.auctions.bid(aid, ana, 5, "a")
    await domain.auctions.bid(aid, bea, 9, "b")
    listing = await panel.client.get("/admin/auctions")
    assert listing.status_code == 200 and 'id="auctions-open"' in listing.text
    assert "Besito Virtual" in listing.text and f"/admin/users/{bea}" in listing.text
    page = await panel.client.get(f"/admin/auctions/{aid}")
    assert 'id="auction-highest">9<' in page.text and page.text.count("<tr><td><a") == 2
    no_csrf = await panel.client.post(f"/admin/auctions/{aid}/close")
    assert no_csrf.status_code == 403 and (await domain.auctions.get(aid)).status == "open"
    closed = await panel.post(f"/admin/auctions/{aid}/close", {}, page=f"/admin/auctions/{aid}")
    assert closed.status_code == 303
    view = await domain.auctions.get(aid)
    assert (view.status, view.winner_user_id) == ("closed", bea)
    assert await domain.holds.totals(bea) == (21, 0)
    page = await panel.client.get(f"/admin/auctions/{aid}")
    assert f'id="auction-winner">{bea}<' in page.text and "auction-close-submit" not in page.text
    audit = await panel.panel.context.accounts.recent_audit(target=aid)
    assert [a.action for a in audit] == ["auction_close", "auction_open"]
    assert (await panel.client.get("/admin/auctions/nope")).status_code == 404

    user_page = await panel.client.get(f"/admin/users/{bea}")
    assert user_page.status_code == 200
    assert 'id="held">0<' in user_page.text and 'id="level">' in user_page.text
    assert re.search(r'id="inventory">.*Besito Virtual × 1', user_page.text, re.S)
    ana_page = await panel.client.get(f"/admin/users/{ana}")
    assert 'id="streak">0<' in ana_page.text and 'id="missions"' in ana_page.text


async def test_economy_page_draws_flows_and_supply(panel: PanelEnv) -> None:
    domain = panel.services.domain
    ana = await panel.register(611)
    await domain.besitos.award(ana, 20, "reaction", "r1")
    await domain.besitos.award(ana, 7, "mission:react_1", "m1")
    await domain.besitos.award(ana, 4, "bonus", "admin1")
    await domain.besitos.spend(ana, 5, "purchase:lantern_001", "p1")
    bea = await panel.register(612, first_name="Bea")
    await domain.besitos.award(bea, 10, "trivia:q1", "t1")
    aid = (await domain.auctions.open("besito_001", 2, datetime.now(UTC) + timedelta(hours=1))
           ).auction_id
    await domain.auctions.bid(aid, ana, 3, "a")  # held, then released: neither counts
    await domain.auctions.bid(aid, bea, 6, "b")
    await domain.auctions.close(aid)  # the win counts once, as spent
    await panel.login()
    r = await panel.client.get("/admin/economy?days=7")
    assert r.status_code == 200
    assert 'id="econ-created">41<' in r.text and 'id="econ-spent">11<' in r.text
    assert 'id="econ-supply">30<' in r.text
    assert "<title>" in r.text and "reaction: 20</title>" in r.text
    assert "mission: 7</title>" in r.text and "other: 4</title>" in r.text
    assert "purchase: 5</title>" in r.text and "<polyline" in r.text
    assert "<script>" not in r.text and "style=" not in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    flows = await domain.economy_stats.daily(7)
    assert flows[-1].created == {"reaction": 20, "mission": 7, "other": 4, "trivia": 10}
    assert flows[-1].spent == {"purchase": 5, "auction": 6} and flows[-1].supply == 30
    assert [d.supply for d in flows[:-1]] == [0] * 6


async def test_content_page_lists_the_new_sections(panel: PanelEnv) -> None:
    await panel.login()
    r = await panel.client.get("/admin/content")
    assert r.status_code == 200
    for table in ("items", "achievements-rules", "missions-rules", "trivia-rules", "levels"):
        assert f'id="{table}"' in r.text
    assert "first_reaction" in r.text and "lantern_001" in r.text
