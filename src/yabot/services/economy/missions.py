"""Daily missions: up to N from the pack's pool per user and local day, chosen on the first
activity of the day; progress from events; a completion rewards once; the day's end
expires the rest.

The choice is a hash of (user, day), so a redelivered event picks the same missions; the
rows' primary key (user, day, mission) and the status guard make every effect happen once.
"""

from __future__ import annotations

import hashlib

from yabot.domain.clock import utcnow
from yabot.domain.days import LocalDay, local_day
from yabot.domain.economy import Mission, MissionRow
from yabot.domain.errors import NotFoundError
from yabot.domain.events import BaseEvent, MissionAssigned, MissionCompleted, MissionPayload
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext, Publisher
from yabot.services.economy.ports import EconomyStore
from yabot.services.economy.rules import RuleBook, Rules
from yabot.services.economy.views import MissionLine
from yabot.services.users.timezone import user_zone
from yabot.services.wallet.service import BesitosService
from yabot.storage.documents.base import DocumentStore

# a user's first activity of the day assigns the missions
ACTIVITY_TYPES = frozenset({"user_activity", "user_interaction", "user_registered"})


def pick(pool: list[Mission], user_id: str, day: str, n: int) -> list[Mission]:
    """The same `n` missions of `pool` for a (user, day), whatever process asks."""
    def rank(m: Mission) -> str:
        return hashlib.sha256(f"{user_id}:{day}:{m.mission_id}".encode()).hexdigest()
    return sorted(pool, key=rank)[:n]


class Missions:
    def __init__(self, *, store: EconomyStore, documents: DocumentStore, bus: EventBus,
                 besitos: BesitosService, rules: RuleBook, per_day: int,
                 default_timezone: str) -> None:
        self.store, self.documents, self.bus = store, documents, bus
        self.besitos, self.rules = besitos, rules
        self.per_day, self.default_timezone = per_day, default_timezone

    async def on_event(self, event: BaseEvent, ctx: HandlerContext, rules: Rules) -> None:
        user_id = event.user_id
        counted = {m.rule.event for m in rules.missions}
        if (user_id is None or not rules.missions or self.per_day == 0
                or (event.event_type not in ACTIVITY_TYPES
                    and event.event_type not in counted)):
            return
        if not await self.store.user_exists(user_id, tx=ctx):
            return
        day = local_day(event.timestamp,
                        await user_zone(self.documents, user_id, self.default_timezone))
        await self._assign(event, ctx, rules, user_id, day)
        if event.event_type not in counted:
            return
        for row in await self.store.advance_missions(ctx, user_id, day.key, event.event_type,
                                                     event.timestamp):
            done = event.follow(MissionCompleted, payload=MissionPayload(
                mission_id=row.mission_id, name=row.name, day=day.key, target=row.target,
                reward=row.reward, expires_at=row.expires_at))
            await ctx.publish(done)
            await self.besitos.award(user_id, row.reward, f"mission:{row.mission_id}",
                                     f"mission:{user_id}:{day.key}:{row.mission_id}",
                                     tx=ctx, cause=done)

    async def _assign(self, cause: BaseEvent | None, ctx: Publisher, rules: Rules,
                      user_id: str, day: LocalDay) -> None:
        if await self.store.missions_of(user_id, day.key, tx=ctx):
            return
        chosen = pick(rules.missions, user_id, day.key, self.per_day)
        rows = [MissionRow(mission_id=m.mission_id, name=m.name,
                           event_type=m.rule.event, target=m.rule.count, progress=0,
                           reward=m.reward, status="active", expires_at=day.end)
                for m in chosen]
        assigned = set(await self.store.assign_missions(ctx, user_id, day.key, rows))
        for r in rows:
            if r.mission_id not in assigned:
                continue
            payload = MissionPayload(mission_id=r.mission_id, name=r.name, day=day.key,
                                     target=r.target, reward=r.reward, expires_at=r.expires_at)
            await ctx.publish(cause.follow(MissionAssigned, payload=payload) if cause
                              else MissionAssigned(user_id=user_id, payload=payload))

    async def today(self, user_id: str) -> list[MissionLine]:
        """The user's missions of their current local day (status `expired` once it ended)."""
        now = utcnow()
        day = local_day(now, await user_zone(self.documents, user_id, self.default_timezone))
        if not await self.store.user_exists(user_id):
            raise NotFoundError("user", user_id)
        rows = await self.store.missions_of(user_id, day.key)
        return [MissionLine(mission_id=r.mission_id, name=r.name,
                            progress=min(r.progress, r.target), target=r.target,
                            reward=r.reward, expires_at=r.expires_at,
                            status="expired" if r.status == "active" and r.expires_at <= now
                            else r.status)
                for r in rows]

    async def expire_due(self) -> int:
        """The scheduler's sweep: missions whose day ended become `expired`."""
        async with self.bus.transaction() as tx:
            return await self.store.expire_missions(tx, utcnow())

    async def assign_today(self, user_id: str) -> list[MissionLine]:
        """Today's missions, choosing them now if this is the user's first look today (the
        same choice the event subscriber makes; `mission_assigned` for new ones)."""
        rules = await self.rules.get()
        tz = await user_zone(self.documents, user_id, self.default_timezone)
        now = utcnow()
        day = local_day(now, tz)
        if rules.missions and self.per_day > 0:
            async with self.bus.transaction() as tx:
                if await self.store.user_exists(user_id, tx=tx):
                    await self._assign(None, tx, rules, user_id, day)
        return await self.today(user_id)
