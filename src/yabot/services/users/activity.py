"""The activity subscriber: logs every `user_*` event and records the user's last activity."""

from __future__ import annotations

import sqlalchemy as sa

from yabot.domain.events import BaseEvent
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext
from yabot.logs import get_logger
from yabot.storage.sql.tables import user_profiles

log = get_logger(__name__)
GROUP = "activity"


async def record_activity(event: BaseEvent, ctx: HandlerContext) -> None:
    log.info("user event", event_type=event.event_type, event_id=event.event_id,
             user_id=event.user_id, correlation_id=event.correlation_id)
    if event.user_id is None or event.event_type == "user_deleted":
        return
    # only move forward: a late redelivery never sets an older time
    await ctx.conn.execute(
        user_profiles.update()
        .where(user_profiles.c.user_id == event.user_id)
        .where(sa.or_(user_profiles.c.last_activity.is_(None),
                      user_profiles.c.last_activity < event.timestamp))
        .values(last_activity=event.timestamp))


def register_activity_subscriber(bus: EventBus) -> None:
    bus.add_subscriber("user_*", record_activity, group=GROUP)
