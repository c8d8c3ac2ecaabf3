"""UserService: registration across both stores, the unified user view, updates, deletion.

Embedded default (documents in the relational SQLite file): registration and deletion are
ONE transaction (profile, document, outbox event). Separate stores: sagas (sagas.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yabot.domain.clock import utcnow
from yabot.domain.errors import NotFoundError
from yabot.domain.events import UserDeleted, UserDeletedPayload
from yabot.domain.models import Preferences, UserDocument
from yabot.domain.views import TelegramUser, UserContext
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.logs import get_logger
from yabot.observability.metrics import Metrics, db_operation
from yabot.services.subscriptions.service import SubscriptionService, subscription_view
from yabot.services.users.ports import SharedDocuments, UserStore
from yabot.services.users.profile import (
    PROFILE_FIELDS,
    profile_values,
    profile_view,
    registered_event,
)
from yabot.services.users.sagas import UserSagas
from yabot.storage.documents.base import DocumentStore
from yabot.storage.sql.unit_of_work import detached

log = get_logger(__name__)


class UserService:
    def __init__(self, *, store: UserStore, documents: DocumentStore,
                 shared: SharedDocuments | None, sagas: UserSagas, bus: EventBus,
                 subscriptions: SubscriptionService, metrics: Metrics | None = None) -> None:
        """`shared`: the user document written in the relational transaction (embedded
        default); None with separate stores, where `sagas` register and delete."""
        self.store, self.documents, self.shared = store, documents, shared
        self.sagas, self.bus = sagas, bus
        self.subscriptions, self.metrics = subscriptions, metrics

    @property
    def atomic(self) -> bool:
        """True when registration and deletion are one transaction (embedded default)."""
        return self.shared is not None

    @db_operation("create_user")
    async def create_user(self, tg: TelegramUser, *, tx: Publisher | None = None) -> bool:
        """Register the user in both stores and publish `user_registered`; idempotent per
        Telegram id. Returns True when the user was created by this call.

        `tx` joins an open transaction; only on the embedded default, where registration is
        one transaction (with separate stores it is a saga of its own).
        """
        if self.shared is None:
            if tx is not None:
                raise ValueError("with separate stores registration is a saga of its own")
            with detached():  # each step commits on its own
                return await self.sagas.create_user(tg)
        if tx is not None:
            return await self._create_in(tx, tg, self.shared)
        if await self.store.exists(str(tg.id)):
            return False
        async with self.bus.transaction() as own:
            return await self._create_in(own, tg, self.shared)

    async def _create_in(self, tx: Publisher, tg: TelegramUser, shared: SharedDocuments) -> bool:
        if not await self.store.insert_profile(tx, str(tg.id), tg.id, profile_values(tg)):
            return False  # registered already, or concurrently
        await shared.create_user(tx, UserDocument(user_id=str(tg.id)), replace=True)
        await tx.publish(registered_event(tg))
        return True

    async def recover(self, *, min_age: float = 0) -> int:
        """Finish or undo the sagas a dead process left open (start-up: all of them; the
        periodic pass leaves young ones to the process still running them)."""
        return await self.sagas.recover(min_age=min_age)

    @db_operation("get_user_context")
    async def get_user_context(self, user_id: str) -> UserContext:
        """Profile, subscription, state, preferences and balance; NotFoundError("user")."""
        profile = await self.store.profile(user_id)
        if profile is None:
            raise NotFoundError("user", user_id)
        state = await self.documents.users.get(user_id)
        if state is None:  # cannot happen after a finished registration; never hide the user
            log.warning("user document missing; showing defaults", user_id=user_id)
            state = UserDocument(user_id=user_id)
        now = utcnow()
        await self.subscriptions.expire_if_due(profile.subscriptions, now)
        return UserContext(profile=profile_view(profile),
                           subscription=subscription_view(user_id, profile.subscriptions, now),
                           state=state, besitos=profile.balance)

    @db_operation("get_state")
    async def get_state(self, user_id: str) -> UserDocument:
        """The user's document (current_state, preferences); NotFoundError("user")."""
        doc = await self.documents.users.get(user_id)
        if doc is None:
            raise NotFoundError("user", user_id)
        return doc

    @db_operation("update_user_state")
    async def update_user_state(self, user_id: str, changes: Mapping[str, Any]) -> UserDocument:
        """Set `current_state` fields by dotted path; NotFoundError("user")."""
        return await self.documents.users.update_state(user_id, changes)

    @db_operation("update_user_profile")
    async def update_user_profile(self, user_id: str, changes: Mapping[str, Any]) -> None:
        """Update username/first_name/last_name/language_code; NotFoundError("user")."""
        if not changes:
            raise ValueError("no fields to update")
        unknown = sorted(set(changes) - set(PROFILE_FIELDS))
        if unknown:
            raise ValueError(f"unknown profile field(s): {', '.join(unknown)}; "
                             f"allowed: {', '.join(PROFILE_FIELDS)}")
        bad = [k for k, v in changes.items() if v is not None and not isinstance(v, str)]
        if bad:
            raise ValueError(f"profile field(s) must be text or null: {', '.join(bad)}")
        if not await self.store.update_profile(user_id, changes):
            raise NotFoundError("user", user_id)

    @db_operation("update_preferences")
    async def update_preferences(self, user_id: str, changes: Mapping[str, Any]) -> Preferences:
        """Partial update; returns the whole new preferences; NotFoundError("user")."""
        checked = Preferences.model_validate(dict(changes))  # types of the known fields
        values = {k: getattr(checked, k) if k in Preferences.model_fields else v
                  for k, v in changes.items()}
        return await self.documents.users.set_preferences(user_id, values)

    @db_operation("delete_user")
    async def delete_user(self, user_id: str, *, reason: str | None = None) -> None:
        """Remove the user from both stores and publish `user_deleted`; NotFoundError("user").

        The wallet and the user's ledger entries are deleted with the profile (not
        anonymised): see `UserRepository.delete_rows` and docs/architecture.md.
        """
        if self.shared is None:
            with detached():
                await self.sagas.delete_user(user_id, reason)
            return
        async with self.bus.transaction() as tx:
            if not await self.store.delete_rows(tx, user_id):
                raise NotFoundError("user", user_id)
            await self.shared.delete_user(tx, user_id)
            await tx.publish(UserDeleted(user_id=user_id,
                                         payload=UserDeletedPayload(reason=reason)))
