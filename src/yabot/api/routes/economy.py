"""Achievements, today's missions, the daily gift and the weekly ranking."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from yabot.api.deps import Domain, UserId, authenticated
from yabot.api.openapi import error_responses
from yabot.api.schemas_economy import (
    AchievementOut,
    AchievementsOut,
    GiftOut,
    MissionOut,
    MissionsOut,
    RankingEntryOut,
    RankingOut,
)

router = APIRouter(tags=["economy"], dependencies=[Depends(authenticated)])


@router.get("/user/{user_id}/achievements", response_model=AchievementsOut,
            summary="Achievements", responses=error_responses(404))
async def achievements(user_id: UserId, domain: Domain) -> AchievementsOut:
    """Every achievement of the content; `unlocked_at` is null until the user earns it."""
    lines = await domain.economy.achievements.of_user(user_id)
    return AchievementsOut(user_id=user_id,
                           achievements=[AchievementOut(**a.model_dump()) for a in lines])


@router.get("/user/{user_id}/missions", response_model=MissionsOut,
            summary="Today's missions", responses=error_responses(404))
async def missions(user_id: UserId, domain: Domain) -> MissionsOut:
    """The missions of the user's current day (their timezone)."""
    lines = await domain.economy.missions.today(user_id)
    return MissionsOut(user_id=user_id, missions=[MissionOut.of(m) for m in lines])


@router.post("/user/{user_id}/daily-gift", response_model=GiftOut, status_code=201,
             summary="Claim today's gift", responses=error_responses(404, 409))
async def daily_gift(user_id: UserId, domain: Domain) -> GiftOut:
    """Once per day in the user's timezone; 409 when already claimed (nothing changes)."""
    result = await domain.economy.gift.claim(user_id)
    return GiftOut(user_id=user_id, amount=result.amount, streak=result.streak,
                   balance=result.balance)


@router.get("/ranking", response_model=RankingOut, summary="Top earners",
            responses=error_responses())
async def ranking(domain: Domain, period: Literal["week"] = "week",
                  limit: Annotated[int, Query(ge=1, le=100)] = 10) -> RankingOut:
    """The week's top earners; users whose `show_in_ranking` preference is false are left
    out."""
    entries = await domain.economy.ranking.week(limit=limit)
    return RankingOut(period=period, entries=[RankingEntryOut.of(e) for e in entries])
