"""Broadcasts: send one message to a segment (all, VIP, free) and follow its progress."""

from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.context import Operator, admin, checked_form, flash, render

router = APIRouter()
SEGMENTS = ("all", "vip", "free")
MAX_TEXT = 4096
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,80}$")


@router.get("/broadcasts")
async def broadcasts(request: Request, _op: Operator) -> Response:
    done, error = flash(request)
    rows = await admin(request).domain.broadcasts.recent(limit=20)
    return render(request, "broadcasts.html", rows=rows, segments=SEGMENTS, done=done,
                  error=error, idempotency_key=uuid.uuid4().hex)


@router.post("/broadcasts")
async def create(request: Request) -> Response:
    session, form = await checked_form(request)
    ctx = admin(request)
    text, segment, key = form.get("text"), form.get("segment"), form.get("idempotency_key")
    if (not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT
            or segment not in SEGMENTS or not isinstance(key, str) or not _KEY.match(key)):
        return ctx.redirect("/broadcasts?error=invalid")
    created = await ctx.domain.broadcasts.create(
        text=text.strip(), segment=segment,  # type: ignore[arg-type]
        idempotency_key=f"admin:{session.username}:{key}",
        created_by=f"admin:{session.username}")
    if created.created:
        await ctx.accounts.audit(session.username, "broadcast", f"#{created.broadcast_id}",
                                 f"{segment}, {created.recipients} recipients")
    return ctx.redirect("/broadcasts?done=broadcast")
