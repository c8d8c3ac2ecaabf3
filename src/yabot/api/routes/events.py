"""Dead letters (`admin` scope): the API twins of `yabot events dlq list|replay`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from yabot.api.deps import DeadLettersDep, admin
from yabot.api.openapi import error_responses
from yabot.api.schemas import DeadLetterList, DeadLetterOut
from yabot.events.dead_letter_queue import DeadLetterRow

router = APIRouter(prefix="/events", tags=["events"], dependencies=[Depends(admin)],
                   responses=error_responses())


def _out(row: DeadLetterRow) -> DeadLetterOut:
    return DeadLetterOut(id=row.id, event_id=row.event_id, event_type=row.event_type,
                         consumer_group=row.consumer_group, error=row.error,
                         attempts=row.attempts, created_at=row.created_at,
                         replayed_at=row.replayed_at,
                         status="replayed" if row.replayed_at else "pending")


@router.get("/dead-letters", response_model=DeadLetterList, summary="List dead letters")
async def list_dead_letters(
        dead_letters: DeadLettersDep,
        include_replayed: Annotated[bool, Query()] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> DeadLetterList:
    """Oldest first; pending only unless `include_replayed`."""
    rows = await dead_letters.list(include_replayed=include_replayed, limit=limit)
    return DeadLetterList(items=[_out(r) for r in rows], count=len(rows))


@router.post("/dead-letters/{dead_letter_id}/replay", response_model=DeadLetterOut,
             summary="Replay a dead letter", responses=error_responses(404, 409))
async def replay_dead_letter(
        dead_letters: DeadLettersDep,
        dead_letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> DeadLetterOut:
    """Send the event through the bus again (same event_id); only the failed group acts.
    409 when it was already replayed."""
    return _out(await dead_letters.replay(dead_letter_id))
