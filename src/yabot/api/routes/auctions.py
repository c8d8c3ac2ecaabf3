"""Auctions: an operator opens one (`admin`); users bid with held besitos; anyone reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from yabot.api.auction_schemas import AuctionCreate, AuctionList, AuctionOut, BidCreate, BidOut
from yabot.api.deps import Domain, admin, authenticated
from yabot.api.errors import ApiError
from yabot.api.openapi import error_responses
from yabot.domain.auctions import AuctionStatus, BidRejectedError

router = APIRouter(prefix="/auctions", tags=["auctions"], responses=error_responses(404))
AuctionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="auction id")]


@router.post("", response_model=AuctionOut, status_code=201, summary="Open an auction",
             dependencies=[Depends(admin)])
async def open_auction(body: AuctionCreate, domain: Domain, request: Request) -> AuctionOut:
    """`admin` scope. 404 when the item does not exist."""
    claims = getattr(request.state, "claims", None)
    view = await domain.auctions.open(body.item_id, body.min_bid, body.ends_at,
                                      created_by=getattr(claims, "sub", None))
    return AuctionOut.of(view)


@router.get("", response_model=AuctionList, summary="List auctions",
            dependencies=[Depends(authenticated)])
async def list_auctions(domain: Domain, status: AuctionStatus | None = None,
                        limit: Annotated[int, Query(ge=1, le=100)] = 50) -> AuctionList:
    """Open ones soonest-ending first; otherwise newest first."""
    views = await domain.auctions.listing(status=status, limit=limit)
    return AuctionList(auctions=[AuctionOut.of(v) for v in views])


@router.get("/{auction_id}", response_model=AuctionOut, summary="One auction",
            dependencies=[Depends(authenticated)])
async def get_auction(auction_id: AuctionId, domain: Domain) -> AuctionOut:
    return AuctionOut.of(await domain.auctions.get(auction_id))


@router.post("/{auction_id}/bids", response_model=BidOut, status_code=201, summary="Bid",
             dependencies=[Depends(authenticated)],
             responses={200: {"model": BidOut,
                              "description": "the idempotency key was seen: nothing changed"},
                        **error_responses(404, 409)})
async def post_bid(auction_id: AuctionId, body: BidCreate, domain: Domain,
                   response: Response) -> BidOut:
    """201 when the bid now leads: its amount is held and the previous leader's hold is
    released. 409 (`bid_too_low`, `insufficient_funds`, `auction_closed`) changes nothing.
    The leader may raise: their current hold counts towards the new amount."""
    try:
        result = await domain.auctions.bid(auction_id, body.user_id, body.amount,
                                           body.idempotency_key)
    except BidRejectedError as exc:
        raise ApiError(409, exc.code, str(exc), exc.details) from None
    if not result.applied:
        response.status_code = 200
    return BidOut.of(result)
