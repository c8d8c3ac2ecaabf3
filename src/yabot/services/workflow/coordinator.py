"""CoordinatorService: the workflows that follow user actions (bus subscribers).

One consumer group (`coordinator`) sees every event and runs each user's sequenced events
in order (`PerUserOrder`): `reaction_detected` → award (once per user and message) →
`besitos_awarded` → hint rules → `narrative_hint_unlocked`. Each step commits with the
handler's transaction; all workflow state is in relational tables.
"""

from __future__ import annotations

from yabot.domain.days import local_day
from yabot.domain.events import (
    BaseEvent,
    BesitosAwarded,
    ReactionDetected,
    ReactionDetectedPayload,
)
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.events.sequencing import SEQUENCED_TYPES, publish_sequenced
from yabot.events.user_order import OrderingConfig, PerUserOrder
from yabot.logs import get_logger
from yabot.services.narrative.service import NarrativeService
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.timezone import user_zone
from yabot.services.wallet.service import BesitosService
from yabot.services.workflow.ports import RewardStore
from yabot.settings import EconomySettings
from yabot.storage.documents.base import DocumentStore

log = get_logger(__name__)
GROUP = "coordinator"


def reaction_content_id(chat_id: int, message_id: int) -> str:
    """What a reaction is to: one message of one chat (the emoji does not matter)."""
    return f"{chat_id}:{message_id}"


class CoordinatorService:
    def __init__(self, *, rewards: RewardStore, documents: DocumentStore, bus: EventBus,
                 besitos: BesitosService,
                 narrative: NarrativeService, subscriptions: SubscriptionService,
                 reaction_reward: int, ordering: OrderingConfig | None = None,
                 economy: EconomySettings | None = None) -> None:
        """`documents`: where the economy's daily cap reads the user's timezone."""
        self.rewards, self.bus, self.documents = rewards, bus, documents
        self.besitos, self.narrative, self.subscriptions = besitos, narrative, subscriptions
        self.reaction_reward = reaction_reward
        self.economy = economy or EconomySettings()
        self.order = PerUserOrder(group=GROUP, bus=bus, dispatch=self._dispatch,
                                  config=ordering)

    def register(self) -> None:
        """Subscribe the workflows to the bus (call before `bus.start()`)."""
        for event_type in sorted(SEQUENCED_TYPES):
            self.bus.add_subscriber(event_type, self.order.handle, group=GROUP)
        self.narrative.register()

    def start(self) -> None:
        """Start the gap sweeper (it also starts with the first event handled)."""
        self.order.start()

    async def stop(self) -> None:
        await self.order.stop()

    @staticmethod
    def reaction(user_id: str, *, chat_id: int, message_id: int,
                 reaction_type: str) -> ReactionDetected:
        """`reaction_detected`, to publish numbered (`publish_sequenced`): the award (once
        per user, chat, message) follows. The bot commits it with the update."""
        return ReactionDetected(user_id=user_id, payload=ReactionDetectedPayload(
            content_id=reaction_content_id(chat_id, message_id), reaction_type=reaction_type,
            metadata={"chat_id": chat_id, "message_id": message_id}))

    async def record_reaction(self, user_id: str, *, chat_id: int, message_id: int,
                              reaction_type: str) -> None:
        """Publish `reaction_detected` in a transaction of its own."""
        async with self.bus.transaction() as tx:
            await publish_sequenced(tx, self.reaction(
                user_id, chat_id=chat_id, message_id=message_id, reaction_type=reaction_type))

    async def validate_vip_access(self, user_id: str, resource: str) -> bool:
        """True with an active VIP plan; publishes vip_access_granted/denied."""
        return await self.narrative.check_vip(user_id, resource)

    # --- workflows (in the handler's transaction, in per-user order) -----------------
    async def _dispatch(self, event: BaseEvent, tx: Publisher) -> None:
        if isinstance(event, ReactionDetected):
            await self._reward_reaction(event, tx)
        elif isinstance(event, BesitosAwarded):
            await self._hint_rules(event, tx)

    async def _reward_reaction(self, event: ReactionDetected, tx: Publisher) -> None:
        assert event.user_id is not None
        user, content_id = event.user_id, event.payload.content_id
        if self.reaction_reward <= 0:
            return
        if not await self.rewards.known_user(tx, user):
            log.warning("reaction from an unknown user: no reward", user_id=user,
                        event_id=event.event_id)
            return
        if await self._capped(user, event, tx):
            log.info("daily reaction cap reached: no reward", user_id=user,
                     event_id=event.event_id)
            return
        vip = await self.rewards.is_vip(tx, user, event.timestamp)
        amount = self.reaction_reward * (self.economy.vip_besitos_multiplier if vip else 1)
        if not await self.rewards.first_reward(tx, user, content_id, event.event_id,
                                               amount, event.timestamp):
            return  # this user was rewarded for this message already
        await self.besitos.award(user, amount, "reaction",
                                 f"reaction:{user}:{content_id}", tx=tx, cause=event)

    async def _capped(self, user: str, event: ReactionDetected, tx: Publisher) -> bool:
        """The anti-farming cap: reaction rewards per user and local day."""
        cap = self.economy.reaction_daily_cap
        if cap <= 0:
            return False
        tz = await user_zone(self.documents, user, self.economy.default_timezone)
        since = local_day(event.timestamp, tz).start
        return await self.rewards.rewards_since(tx, user, since) >= cap

    async def _hint_rules(self, event: BesitosAwarded, tx: Publisher) -> None:
        assert event.user_id is not None
        await self.narrative.unlock_hints(event.user_id, event.payload.balance, tx=tx,
                                          cause=event)
