"""Besitos: balance with recent ledger entries; idempotent awards and spends."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from yabot.api.deps import BesitosDep, Domain, UserId, authenticated
from yabot.api.openapi import error_responses
from yabot.api.schemas import BesitosChange, BesitosResult, WalletOut

router = APIRouter(prefix="/user", tags=["besitos"], dependencies=[Depends(authenticated)],
                   responses=error_responses(404))


@router.get("/{user_id}/besitos", response_model=WalletOut, summary="Balance and ledger")
async def get_besitos(user_id: UserId, besitos: BesitosDep, domain: Domain,
                      limit: Annotated[int, Query(ge=1, le=100)] = 10) -> WalletOut:
    """The spendable `balance`, what open bids hold (`held`), the newest `limit` ledger
    entries and the level."""
    wallet = await besitos.wallet(user_id, limit=limit)
    level = await domain.economy.ranking.level(user_id)
    balance, held = await domain.holds.totals(user_id)  # one read: the two add up
    out = WalletOut.of(wallet, level=level.level, held=held)
    return out.model_copy(update={"balance": balance})


@router.post("/{user_id}/besitos", response_model=BesitosResult, status_code=201,
             summary="Award or spend",
             responses={200: {"model": BesitosResult,
                              "description": "the idempotency key was seen: nothing changed"},
                        **error_responses(404, 409)})
async def post_besitos(user_id: UserId, body: BesitosChange, besitos: BesitosDep,
                       response: Response) -> BesitosResult:
    """Positive `amount` awards, negative spends (409 beyond the balance). Replaying the
    same `idempotency_key` changes nothing and answers 200 with the original entry."""
    result = await besitos.apply(user_id, body.amount, body.reason, body.idempotency_key)
    if not result.applied:
        response.status_code = 200
    return BesitosResult.of(result)
