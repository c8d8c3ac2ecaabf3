"""Auctions: open one for an item, watch the open ones and their bids, close one now."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.context import Operator, admin, checked_form, flash, render
from yabot.domain.clock import utcnow
from yabot.domain.errors import NotFoundError

router = APIRouter()
MAX_MINUTES, MAX_BID = 90 * 24 * 60, 1_000_000
_ITEM = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_AUCTION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _int(value: object, low: int, high: int) -> int | None:
    if not isinstance(value, str) or not value.strip().isdigit():
        return None
    number = int(value.strip()[:12])
    return number if low <= number <= high else None


@router.get("/auctions")
async def auctions(request: Request, _op: Operator) -> Response:
    domain = admin(request).domain
    open_now = await domain.auctions.listing(status="open", limit=100)
    closed = await domain.auctions.listing(status="closed", limit=20)
    names = {a.item_id: await domain.auctions.item_name(a.item_id) for a in open_now + closed}
    done, error = flash(request)
    return render(request, "auctions.html", open_now=open_now, closed=closed, names=names,
                  items=await domain.economy.shop.items_for_sale(), done=done, error=error)


@router.get("/auctions/{auction_id}")
async def auction_page(request: Request, auction_id: str, _op: Operator) -> Response:
    domain = admin(request).domain
    if not _AUCTION.match(auction_id):
        raise NotFoundError("auction", auction_id)
    auction = await domain.auctions.get(auction_id)
    return render(request, "auction.html", auction=auction,
                  name=await domain.auctions.item_name(auction.item_id),
                  bids=await domain.auctions.bids(auction_id, limit=100))


@router.post("/auctions")
async def open_auction(request: Request) -> Response:
    session, form = await checked_form(request)
    ctx = admin(request)
    item, min_bid = form.get("item_id"), _int(form.get("min_bid"), 1, MAX_BID)
    minutes = _int(form.get("minutes"), 1, MAX_MINUTES)
    if not isinstance(item, str) or not _ITEM.match(item) or min_bid is None or not minutes:
        return ctx.redirect("/auctions?error=invalid")
    try:
        view = await ctx.domain.auctions.open(item, min_bid,
                                              utcnow() + timedelta(minutes=minutes),
                                              created_by=f"admin:{session.username}")
    except NotFoundError:
        return ctx.redirect("/auctions?error=not_found")
    await ctx.accounts.audit(session.username, "auction_open", view.auction_id,
                             f"{item}, min {min_bid}, {minutes} min")
    return ctx.redirect(f"/auctions/{quote(view.auction_id, safe='')}")


@router.post("/auctions/{auction_id}/close")
async def close_auction(request: Request, auction_id: str) -> Response:
    session, _form = await checked_form(request)
    ctx = admin(request)
    if not _AUCTION.match(auction_id):
        raise NotFoundError("auction", auction_id)
    closed = await ctx.domain.auctions.close(auction_id)
    if closed is not None:
        await ctx.accounts.audit(session.username, "auction_close", auction_id,
                                 f"winner {closed.winner_user_id or '—'}, "
                                 f"{closed.highest_bid or 0}")
    return ctx.redirect(f"/auctions/{quote(auction_id, safe='')}")
