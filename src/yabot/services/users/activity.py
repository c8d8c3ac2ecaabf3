"""The activity subscriber: logs every `user_*` event and records the user's last activity."""

from __future__ import annotations

from yabot.domain.events import BaseEvent
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext
from yabot.logs import get_logger
from yabot.services.users.ports import UserStore

log = get_logger(__name__)
GROUP = "activity"


class ActivitySubscriber:
    def __init__(self, store: UserStore) -> None:
        self.store = store

    async def record(self, event: BaseEvent, ctx: HandlerContext) -> None:
        log.info("user event", event_type=event.event_type, event_id=event.event_id,
                 user_id=event.user_id, correlation_id=event.correlation_id)
        if event.user_id is None or event.event_type == "user_deleted":
            return
        await self.store.record_activity(ctx, event.user_id, event.timestamp)

    def register(self, bus: EventBus) -> None:
        bus.add_subscriber("user_*", self.record, group=GROUP)
