"""Broadcasts: an operator (`admin`) sends one message to a segment; anyone with `read`
follows its progress."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from yabot.api.deps import Domain, admin, authenticated
from yabot.api.openapi import error_responses
from yabot.services.messaging.broadcasts import BroadcastProgress

router = APIRouter(prefix="/broadcasts", tags=["broadcasts"], responses=error_responses())


class BroadcastCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4096, pattern=r"\S")
    segment: Literal["all", "vip", "free"]
    idempotency_key: str = Field(min_length=1, max_length=200)


class BroadcastCreatedOut(BaseModel):
    broadcast_id: int
    recipients: int


class BroadcastOut(BaseModel):
    broadcast_id: int
    status: Literal["queued", "sending", "done"]
    total: int
    sent: int
    failed: int
    blocked: int

    @classmethod
    def of(cls, p: BroadcastProgress) -> BroadcastOut:
        return cls(broadcast_id=p.broadcast_id, status=p.status, total=p.total, sent=p.sent,
                   failed=p.failed, blocked=p.blocked)


@router.post("", response_model=BroadcastCreatedOut, status_code=201,
             summary="Broadcast a message to a segment", dependencies=[Depends(admin)],
             responses={200: {"model": BroadcastCreatedOut,
                              "description": "the idempotency key was seen: nothing new"},
                        **error_responses(422)})
async def create_broadcast(body: BroadcastCreate, domain: Domain, request: Request,
                           response: Response) -> BroadcastCreatedOut:
    """`admin` scope. `recipients`: the segment's size now, blocked users included."""
    claims = getattr(request.state, "claims", None)
    created = await domain.broadcasts.create(
        text=body.text, segment=body.segment, idempotency_key=body.idempotency_key,
        created_by=getattr(claims, "sub", None))
    if not created.created:
        response.status_code = 200
    return BroadcastCreatedOut(broadcast_id=created.broadcast_id,
                               recipients=created.recipients)


@router.get("/{broadcast_id}", response_model=BroadcastOut, summary="A broadcast's progress",
            dependencies=[Depends(authenticated)], responses=error_responses(404))
async def get_broadcast(broadcast_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                        domain: Domain) -> BroadcastOut:
    """`total` is the segment at creation; `sent + failed + blocked` reach it when done."""
    return BroadcastOut.of(await domain.broadcasts.progress(broadcast_id))
