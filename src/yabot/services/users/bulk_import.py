"""The legacy import's fast path: a chunk of rows in one transaction, a few statements each.

`BulkImport.write(tx, chunk)` writes for a chunk of planned rows what the row-by-row path
(`UserImporter._apply_row`: `users.create_user`, `besitos.award`, `subscriptions.set_plan`)
writes for each of them: the same rows, counters and events, with the same rules (an
existing profile is left alone, a seen idempotency key is a replay, a changed one a
conflict), and the events in the same order (per row: `user_registered`, `besitos_awarded`,
`subscription_updated`), published together through the transaction's `Publisher`. The
statements are the store's (`LegacyImportStore`, one executemany per table), which exists
only on SQLite, where the transaction holds the one write lock from its first statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from yabot.domain.clock import utcnow
from yabot.domain.errors import ConflictError, NotFoundError
from yabot.domain.events import (
    BaseEvent,
    BesitosAwarded,
    BesitosPayload,
    SubscriptionUpdated,
    SubscriptionUpdatedPayload,
)
from yabot.events.handler_context import Publisher
from yabot.services.users.import_plan import REASON, RowPlan, opening_key
from yabot.services.users.ports import LegacyImportStore, SharedDocuments
from yabot.services.users.profile import profile_values, registered_event

Events = dict[str, list[BaseEvent]]  # by user id: what the chunk publishes for each row


class BulkImport:
    def __init__(self, store: LegacyImportStore, shared: SharedDocuments | None) -> None:
        """`shared`: the user document in the relational transaction (embedded default):
        the chunk registers its new users itself. None: they were registered before the
        chunk (a saga each, separate stores) and the chunk writes the rest."""
        self.store, self.shared = store, shared

    async def write(self, tx: Publisher, chunk: Sequence[RowPlan]) -> None:
        items = [i for i in chunk if i.create or i.backdate or i.opening or i.plan]
        if not items:
            return  # a re-run: nothing to read or write
        now = utcnow()
        events: Events = {i.user_id: [] for i in items}
        dated = await self._register(tx, items, events)
        await self.store.set_registration_dates(tx, {
            i.user_id: i.row.registration_date for i in items
            if i.backdate and i.row.registration_date is not None
            and i.user_id not in dated})
        await self._require(tx, [i.user_id for i in items if i.opening or i.plan])
        await self._openings(tx, [i for i in items if i.opening > 0], events, now)
        await self._plans(tx, [i for i in items if i.plan], events, now)
        ordered = [e for i in items for e in events[i.user_id]]
        if ordered:
            await tx.publish(*ordered)

    async def _register(self, tx: Publisher, items: list[RowPlan], events: Events) -> set[str]:
        """Profile, document and `user_registered` of the chunk's new users (a profile that
        appeared since the plan is left alone, as `create_user` leaves it); returns the
        users inserted with their legacy registration date (no back-dating needed)."""
        wanted = [i for i in items if i.create]
        if self.shared is None or not wanted:
            return set()
        existing = await self.store.existing_profiles(tx, [i.user_id for i in wanted])
        new = [i for i in wanted if i.user_id not in existing]
        if not new:
            return set()
        profiles = []
        for i in new:
            tg = i.row.telegram_user()
            profiles.append({"user_id": i.user_id, "telegram_user_id": tg.id,
                             "registration_date": i.row.registration_date,
                             **profile_values(tg)})
            events[i.user_id].append(registered_event(tg))
        await self.store.insert_profiles(tx, profiles)
        await self.shared.create_users(tx, [i.user_id for i in new])
        return {i.user_id for i in new if i.row.registration_date is not None}

    async def _require(self, tx: Publisher, user_ids: list[str]) -> None:
        """NotFoundError("user") for the first user without a profile (as `award` and
        `set_plan` raise it)."""
        if not user_ids:
            return
        found = await self.store.existing_profiles(tx, user_ids)
        for user_id in user_ids:
            if user_id not in found:
                raise NotFoundError("user", user_id)

    async def _openings(self, tx: Publisher, items: list[RowPlan], events: Events,
                        now: datetime) -> None:
        """`besitos.award(user, opening, REASON, opening_key(user))` for each row: an entry
        whose key was used since the plan is a replay (nothing written) or a conflict."""
        if not items:
            return
        wanted = [(i.user_id, i.opening, opening_key(i.user_id)) for i in items]
        seen = await self.store.entries_by_key(tx, [key for _, _, key in wanted])
        awards = []
        for user, amount, key in wanted:
            if key not in seen:
                awards.append((user, amount, key))
            elif seen[key] != (user, amount):
                raise ConflictError(f"idempotency key {key!r} was already used for "
                                    f"{seen[key][1]:+d} besitos of user {seen[key][0]!r}")
        balances = await self.store.award(tx, awards, reason=REASON, now=now)
        numbers = await self.store.next_sequences(tx, [user for user, _, _ in awards])
        for user, amount, key in awards:
            events[user].append(BesitosAwarded(
                user_id=user, sequence=numbers[user], payload=BesitosPayload(
                    amount=amount, reason=REASON, balance=balances[user],
                    idempotency_key=key)))

    async def _plans(self, tx: Publisher, items: list[RowPlan], events: Events,
                     now: datetime) -> None:
        """`subscriptions.set_plan(user, plan, end)` of a paid plan for each row: the
        current active period becomes `inactive` and a new one starts now."""
        if not items:
            return
        for item in items:
            end = item.row.plan_end_date
            if end is not None and end <= now:
                raise ValueError(f"end_date {end.isoformat()} is not in the future")
        current = await self.store.current_plans(tx, [i.user_id for i in items])
        await self.store.start_plans(
            tx, [(i.user_id, i.row.plan_type, i.row.plan_end_date) for i in items],
            deactivate=[sid for sid, status in current.values() if status == "active"],
            now=now)
        for item in items:
            events[item.user_id].append(SubscriptionUpdated(
                user_id=item.user_id, payload=SubscriptionUpdatedPayload(
                    status="active", plan_type=item.row.plan_type)))
