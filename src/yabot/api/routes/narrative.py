"""Narrative fragments, with the VIP gate when a user is named."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from yabot.api.deps import USER_ID_PATTERN, NarrativeDep, authenticated
from yabot.api.openapi import error_responses
from yabot.api.schemas import FRAGMENT_ID_PATTERN, FragmentOut

router = APIRouter(prefix="/narrative", tags=["narrative"],
                   dependencies=[Depends(authenticated)], responses=error_responses(404))

FragmentId = Annotated[str, Path(pattern=FRAGMENT_ID_PATTERN, max_length=64,
                                 examples=["fragment_001"])]


@router.get("/{fragment_id}", response_model=FragmentOut, summary="A fragment")
async def get_fragment(
        fragment_id: FragmentId, narrative: NarrativeDep,
        user_id: Annotated[str | None, Query(pattern=USER_ID_PATTERN, max_length=20)] = None,
) -> FragmentOut:
    """The fragment with its choices and metadata. With `user_id`, a VIP fragment answers
    403 unless that user has an active VIP plan."""
    return FragmentOut.of(await narrative.get_fragment(fragment_id, user_id=user_id))
