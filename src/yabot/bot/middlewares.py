"""Update middlewares: errors (apology), throttle, services, user context, activity events.

Registered on `dp.update` in that order (outermost first), after aiogram's own context
and FSM middlewares. Handlers return an outcome string; the activity middleware records the
activity bookkeeping (last activity, command counts) and `command_executed` with the
outcome in the update's effects, which the inbox worker commits with the done mark.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, TelegramObject, Update, User

from yabot.bot.outgoing import CAPTURE
from yabot.bot.texts import DEFAULT_LANGUAGE, language_of, t
from yabot.domain.errors import NotFoundError
from yabot.domain.events import CommandExecuted, CommandExecutedPayload
from yabot.domain.views import TelegramUser
from yabot.logs import get_logger
from yabot.services.container import DomainServices
from yabot.services.messaging.update_commit import UpdateEffects

log = get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ErrorMiddleware(BaseMiddleware):
    """A failing update: apologise (on its first attempt) and re-raise, so the inbox keeps
    it for a retry and the worker goes on with the next update."""

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Exception as exc:
            update_id = event.update_id if isinstance(event, Update) else None
            log.error("update failed", update_id=update_id,
                      error=f"{type(exc).__name__}: {exc}")
            chat: Chat | None = data.get("event_chat")
            bot: Bot | None = data.get("bot")
            capture = CAPTURE.get()
            if capture is not None:  # replies made before the failure are not sent
                capture.calls.clear()
            if chat is not None and bot is not None and data.get("inbox_attempt", 1) == 1:
                try:
                    await bot.send_message(chat.id, t("apology", data.get("lang",
                                                                          DEFAULT_LANGUAGE)))
                except Exception as send_exc:  # the apology is best effort
                    log.warning("apology not sent", error=type(send_exc).__name__)
            raise


@dataclass(frozen=True)
class ThrottleConfig:
    burst: int = 20  # updates a user may send at once
    rate: float = 5.0  # updates per second refilled
    max_users: int = 100_000


def _is_payment(event: TelegramObject) -> bool:
    return isinstance(event, Update) and (
        event.pre_checkout_query is not None
        or (event.message is not None and event.message.successful_payment is not None))


class ThrottleMiddleware(BaseMiddleware):
    """A token bucket per user; an update over the limit is answered once and dropped.
    Payments are never dropped: a pre-checkout must be answered and a payment recorded."""

    def __init__(self, config: ThrottleConfig | None = None) -> None:
        self.config = config or ThrottleConfig()
        self._buckets: dict[int, tuple[float, float]] = {}  # user -> (tokens, at)

    def allow(self, user_id: int, now: float) -> bool:
        tokens, at = self._buckets.get(user_id, (float(self.config.burst), now))
        tokens = min(float(self.config.burst), tokens + (now - at) * self.config.rate)
        allowed = tokens >= 1.0
        if len(self._buckets) >= self.config.max_users and user_id not in self._buckets:
            self._buckets.clear()
        self._buckets[user_id] = (tokens - 1.0 if allowed else tokens, now)
        return allowed

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or _is_payment(event) or self.allow(user.id, time.monotonic()):
            return await handler(event, data)
        log.info("throttled", user_id=user.id)
        if isinstance(event, Update) and event.callback_query is not None:
            await event.callback_query.answer(t("slow_down"))
        return "throttled"


class ServicesMiddleware(BaseMiddleware):
    """Give handlers the domain services (`services`)."""

    def __init__(self, services: DomainServices) -> None:
        self.services = services

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        data["services"] = self.services
        return await handler(event, data)


class UserContextMiddleware(BaseMiddleware):
    """Load the user (`user_ctx`, `lang`), registering them from `from` when unknown."""

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        services: DomainServices = data["services"]
        user: User | None = data.get("event_from_user")
        data["user_ctx"], data["lang"] = None, DEFAULT_LANGUAGE
        if user is not None and not user.is_bot:
            user_id = str(user.id)
            try:
                ctx = await services.users.get_user_context(user_id)
            except NotFoundError:
                await services.users.create_user(TelegramUser(
                    id=user.id, username=user.username, first_name=user.first_name,
                    last_name=user.last_name, language_code=user.language_code))
                ctx = await services.users.get_user_context(user_id)
                data["new_user"] = True
            data["user_ctx"], data["lang"] = ctx, language_of(ctx.preferences.language)
        return await handler(event, data)


def _command(event: TelegramObject) -> tuple[str, str | None] | None:
    if isinstance(event, Update) and event.message is not None:
        text = event.message.text or ""
        if text.startswith("/"):
            head, _, args = text.partition(" ")
            return head[1:].split("@", 1)[0].lower(), args.strip() or None
    return None


class ActivityMiddleware(BaseMiddleware):
    """After the handler: last activity, command count and `command_executed` (outcome)."""

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        outcome = "error"
        own = not isinstance(data.get("update_effects"), UpdateEffects)
        if own:  # outside the inbox (the terminal chat): committed here, after the handler
            data["update_effects"] = UpdateEffects()
        before = len(data["update_effects"].events)
        try:
            result = await handler(event, data)
            outcome = result if isinstance(result, str) else "ok"
            return result
        except Exception:  # the handler's events go with its retry, not with this attempt
            del data["update_effects"].events[before:]
            raise
        finally:
            await self._record(event, data, outcome, own=own)

    @staticmethod
    async def _record(event: TelegramObject, data: dict[str, Any], outcome: str, *,
                      own: bool) -> None:
        user: User | None = data.get("event_from_user")
        effects: UpdateEffects = data["update_effects"]
        if user is None or user.is_bot or not isinstance(event, Update):
            return
        effects.from_chat = user.id
        if data.get("user_ctx") is not None:
            effects.user_id, command = str(user.id), _command(event)
            if command is not None:
                effects.command = command[0]
                effects.events.append(CommandExecuted(
                    user_id=effects.user_id, payload=CommandExecutedPayload(
                        command=command[0], args=command[1], outcome=outcome)))
        if not own:  # the inbox worker commits it with the update's done mark
            return
        services: DomainServices = data["services"]
        try:  # outside the inbox (the terminal chat): a commit of its own
            async with services.users.bus.transaction() as tx:
                await services.updates.commit(tx, [effects], done=False)
        except Exception as exc:  # the reply is out already: this must not fail the update
            log.error("activity not recorded", user_id=user.id,
                      error=f"{type(exc).__name__}: {exc}")
