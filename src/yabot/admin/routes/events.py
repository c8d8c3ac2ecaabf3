"""The event log (filtered by type or user) and the dead letters, with replay."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.context import Operator, admin, checked_form, flash, render
from yabot.domain.errors import ConflictError, NotFoundError

router = APIRouter()


@router.get("/events")
async def events(request: Request, _op: Operator) -> Response:
    ctx = admin(request)
    event_type = request.query_params.get("type", "").strip()[:100]
    user_id = request.query_params.get("user", "").strip()[:100]
    show_all = request.query_params.get("all") == "1"
    done, error = flash(request)
    return render(request, "events.html", event_type=event_type, user_id=user_id,
                  show_all=show_all, done=done, error=error,
                  events=await ctx.queries.recent_events(event_type=event_type or None,
                                                         user_id=user_id or None, limit=100),
                  dead_letters=await ctx.domain.dead_letters.list(include_replayed=show_all,
                                                                  limit=100))


@router.post("/events/dead-letters/{dead_letter_id}/replay")
async def replay(request: Request, dead_letter_id: int) -> Response:
    session, _ = await checked_form(request)
    ctx = admin(request)
    try:
        row = await ctx.domain.dead_letters.replay(dead_letter_id)
    except NotFoundError:
        return ctx.redirect("/events?error=not_found")
    except ConflictError:
        return ctx.redirect("/events?error=already_replayed")
    await ctx.accounts.audit(session.username, "replay_dead_letter", row.event_id,
                             f"#{row.id} {row.event_type} ({row.consumer_group})")
    return ctx.redirect("/events?done=replayed")
