"""The VIP channel: join requests (approved for an active VIP, declined with a way in for
anyone else) and `chat_member` updates (who joined, who left)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import ChatJoinRequest, ChatMemberUpdated

from yabot.bot.texts import t
from yabot.logs import get_logger
from yabot.services.container import DomainServices
from yabot.services.payments.channel import is_member

log = get_logger(__name__)
router = Router(name="channel")


@router.chat_join_request()
async def join_request(request: ChatJoinRequest, services: DomainServices, lang: str) -> str:
    user_id = request.from_user.id
    decision = await services.channel.join_decision(str(user_id), request.chat.id)
    if decision == "approve":
        await request.approve()
        log.info("VIP channel join approved", user_id=user_id)
    elif decision == "decline":
        await request.decline()
        await request.bot.send_message(request.user_chat_id,  # type: ignore[union-attr]
                                       t("join_declined", lang))
        log.info("VIP channel join declined", user_id=user_id)
    return decision


@router.chat_member()
async def member_update(update: ChatMemberUpdated, services: DomainServices) -> str:
    member = update.new_chat_member
    user = member.user
    if user.is_bot:
        return "ignored"
    old, new = update.old_chat_member, member
    was = is_member(old.status, getattr(old, "is_member", None))
    now = is_member(new.status, getattr(new, "is_member", None))
    if was == now:
        return "unchanged"
    status = getattr(new.status, "value", new.status)
    changed = await services.channel.member_changed(str(user.id), update.chat.id, now,
                                                    str(status))
    return ("joined" if now else "left") if changed else "unchanged"
