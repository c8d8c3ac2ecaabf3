"""The Telegram webhook route (on the API's ASGI server) and `setWebhook`.

The secret header is compared in constant time; a wrong or missing one is 401 and nothing
is recorded. A malformed body is 400 (logged). 200 only after the update is committed to
the inbox; processing happens asynchronously from there.
"""

from __future__ import annotations

import asyncio
import hmac

from aiogram import Bot
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from yabot.bot.dispatcher import ALLOWED_UPDATES
from yabot.bot.inbox import UpdateInbox, parse_update
from yabot.logs import get_logger

log = get_logger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram updates are a few KiB (a 4,096-character message with entities and a reply stays
# far below this); anything larger is refused with 413 before it is read whole.
MAX_BODY_BYTES = 1 << 20


class BodyTooLarge(Exception):
    """The request body is over MAX_BODY_BYTES."""


async def read_capped(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused early by Content-Length or while streaming once over `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": None}},
                        status_code=status)


def secret_matches(given: str | None, secret: str) -> bool:
    return hmac.compare_digest((given or "").encode(), secret.encode())


def create_webhook_router(*, path: str, secret: str, inbox: UpdateInbox) -> APIRouter:
    router = APIRouter()

    @router.post(path, include_in_schema=False)
    async def telegram_webhook(request: Request) -> JSONResponse:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            log.warning("webhook call with a wrong or missing secret",
                        client=request.client.host if request.client else None)
            return _error(401, "unauthorized", "wrong or missing webhook secret token")
        try:
            body = await read_capped(request)
        except BodyTooLarge:
            log.warning("webhook body over the cap", limit=MAX_BODY_BYTES)
            return _error(413, "payload_too_large",
                          f"an update is at most {MAX_BODY_BYTES} bytes")
        try:
            raw = parse_update(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep JSON
            log.warning("malformed webhook update", error=str(exc)[:300], size=len(body))
            return _error(400, "malformed_update", "the body is not a Telegram update")
        try:
            await inbox.record(raw)
        except Exception as exc:  # Telegram redelivers on a non-2xx answer
            log.error("update not recorded", update_id=raw["update_id"],
                      error=f"{type(exc).__name__}: {exc}")
            return _error(503, "inbox_unavailable", "the update could not be recorded")
        return JSONResponse({"ok": True})

    return router


def webhook_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


async def set_webhook(bot: Bot, *, url: str, secret: str, attempts: int = 0) -> None:
    """Call `setWebhook` until it succeeds (`attempts` 0 = keep trying), with backoff."""
    delay, tried = 1.0, 0
    while True:
        tried += 1
        try:
            await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES,
                                  drop_pending_updates=False)
            log.info("webhook set", url=url, allowed_updates=ALLOWED_UPDATES)
            return
        except Exception as exc:
            if attempts and tried >= attempts:
                raise
            log.error("setWebhook failed; retrying", error=f"{type(exc).__name__}: {exc}",
                      delay=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
