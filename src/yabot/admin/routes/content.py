"""Content: the fragments, and a content-pack upload validated all or nothing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from yabot.admin.context import Operator, admin, checked_form, render
from yabot.domain.errors import ContentError

router = APIRouter()
MAX_PACK_BYTES = 2 * 1024 * 1024


async def _page(request: Request, *, status: int = 200, problems: list[str] | None = None,
                loaded: tuple[int, int] | None = None) -> Response:
    domain = admin(request).domain
    fragments = await domain.narrative.list_fragments(limit=500)
    return render(request, "content.html", status=status, fragments=fragments,
                  rules=await domain.economy.rules.get(),
                  problems=problems or [], loaded=loaded)


@router.get("/content")
async def content(request: Request, _op: Operator) -> Response:
    return await _page(request)


@router.post("/content")
async def upload(request: Request) -> Response:
    session, form = await checked_form(request)
    pack = form.get("pack")
    if not isinstance(pack, UploadFile):
        return await _page(request, status=422, problems=["pack: no file was sent"])
    name = (pack.filename or "pack.yaml")[:200]
    data = await pack.read(MAX_PACK_BYTES + 1)
    if len(data) > MAX_PACK_BYTES:
        return await _page(request, status=413,
                           problems=[f"{name}: larger than {MAX_PACK_BYTES} bytes"])
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        return await _page(request, status=422, problems=[f"{name}: not UTF-8 text"])
    try:
        loaded = await admin(request).domain.narrative.load_pack_text(raw, source=name)
    except ContentError as exc:
        await admin(request).accounts.audit(session.username, "content_rejected", name,
                                            f"{len(exc.problems)} problem(s)")
        return await _page(request, status=422, problems=list(exc.problems))
    await admin(request).accounts.audit(session.username, "content_load", name,
                                        f"{loaded[0]} fragment(s), {loaded[1]} item(s)")
    return await _page(request, loaded=loaded)
