"""Registration and deletion across two stores (MongoDB, or PostgreSQL + embedded): sagas.

create_user: open the saga (workflows row) → write the user document (create-if-absent) →
ONE relational commit: profile + `user_registered` + saga row removed. That commit is the
point of no return; before it the saga is undone by deleting the document (compensation).
delete_user: ONE relational commit removes the rows, publishes `user_deleted` and opens a
`delete_user` saga; the document is then deleted idempotently and the saga closed.
`recover()` (start-up) finishes or undoes every saga a dead process left open.
"""

from __future__ import annotations

import contextlib

from yabot.domain.errors import ConflictError, NotFoundError
from yabot.domain.events import UserDeleted, UserDeletedPayload
from yabot.domain.models import UserDocument
from yabot.domain.views import TelegramUser, WorkflowRow
from yabot.events.bus import EventBus
from yabot.faults import checkpoint
from yabot.logs import get_logger
from yabot.services.users.ports import SagaStore, UserStore
from yabot.services.users.profile import profile_values, registered_event
from yabot.storage.documents.base import DocumentStore

log = get_logger(__name__)
CREATE, DELETE = "create_user", "delete_user"
ATTEMPTS = 3


class UserSagas:
    def __init__(self, *, store: UserStore, documents: DocumentStore, workflows: SagaStore,
                 bus: EventBus) -> None:
        self.store, self.documents, self.workflows, self.bus = store, documents, workflows, bus

    # --- create ------------------------------------------------------------------
    async def create_user(self, tg: TelegramUser) -> bool:
        user_id = str(tg.id)
        for _ in range(ATTEMPTS):
            if await self.store.exists(user_id):
                return False
            await self._begin(tg)
            checkpoint("create_user.started")
            try:
                await self._write_document(user_id)
                checkpoint("create_user.document_written")
            except Exception:
                await self._compensate(user_id)
                raise
            outcome = await self._commit(tg)
            checkpoint("create_user.committed")
            if outcome is not None:
                return outcome
            # another caller undid the saga between our steps: open a new one and go again
        raise ConflictError(f"registration of user {user_id!r} kept being undone; retry")

    async def _begin(self, tg: TelegramUser) -> None:
        """Open the saga, or join the one open for this user; finish what blocks it first."""
        user_id = str(tg.id)
        for _ in range(ATTEMPTS):
            if await self.workflows.get(DELETE, user_id) is not None:
                await self._finish_delete(user_id)  # an old deletion still owns the document
            if await self.workflows.start(CREATE, user_id, tg.model_dump_json()):
                return
            row = await self.workflows.get(CREATE, user_id)
            if row is not None and row.state == "started":
                return  # join it: every step is idempotent
            if row is not None:  # being undone: finish that, then open ours
                await self._finish_compensation(user_id)
        raise ConflictError(f"could not open the registration of user {user_id!r}; retry")

    async def _write_document(self, user_id: str) -> None:
        checkpoint("create_user.document")
        with contextlib.suppress(ConflictError):  # written by an earlier attempt of this saga
            await self.documents.users.create(UserDocument(user_id=user_id))

    async def _commit(self, tg: TelegramUser) -> bool | None:
        """The point of no return. True: registered now; False: someone else finished it;
        None: the saga was undone meanwhile (nothing written)."""
        user_id = str(tg.id)
        async with self.bus.transaction() as tx:
            if not await self.workflows.finish(tx, CREATE, user_id, "started"):
                return False if await self.store.exists(user_id) else None
            if not await self.store.insert_profile(tx, user_id, tg.id, profile_values(tg)):
                return False
            await tx.publish(registered_event(tg))
        return True

    async def _compensate(self, user_id: str) -> None:
        """Undo an unfinished registration (unless another caller already moved it on)."""
        if await self.workflows.transition(CREATE, user_id, "started", "compensating"):
            checkpoint("create_user.compensating")
            try:
                await self._finish_compensation(user_id)
            except Exception as exc:  # the store is failing: recovery finishes it later
                log.warning("registration undo incomplete; recovery will finish it",
                            user_id=user_id, error=f"{type(exc).__name__}: {exc}")

    async def _finish_compensation(self, user_id: str) -> None:
        await self.documents.users.delete(user_id)
        checkpoint("create_user.document_removed")
        await self.workflows.remove(CREATE, user_id, "compensating")

    # --- delete ------------------------------------------------------------------
    async def delete_user(self, user_id: str, reason: str | None) -> None:
        async with self.bus.transaction() as tx:
            if not await self.store.delete_rows(tx, user_id):
                raise NotFoundError("user", user_id)
            await self.workflows.insert(tx, DELETE, user_id, "{}")
            await tx.publish(UserDeleted(user_id=user_id,
                                         payload=UserDeletedPayload(reason=reason)))
        checkpoint("delete_user.committed")
        try:
            await self._finish_delete(user_id)
        except Exception as exc:  # deleted where it counts; recovery removes the document
            log.warning("user document not deleted yet; recovery will finish it",
                        user_id=user_id, error=f"{type(exc).__name__}: {exc}")

    async def _finish_delete(self, user_id: str) -> None:
        await self.documents.users.delete(user_id)
        checkpoint("delete_user.document_removed")
        await self.workflows.remove(DELETE, user_id, "started")

    # --- recovery ----------------------------------------------------------------
    async def recover(self, *, min_age: float = 0) -> int:
        """Finish or undo every open saga (untouched for `min_age` s); returns how many."""
        closed = 0
        for row in await self.workflows.open(min_age=min_age):
            try:
                await self._recover_one(row)
                closed += 1
            except Exception as exc:  # leave it open for the next pass
                log.error("saga recovery failed", kind=row.kind, user_id=row.user_id,
                          state=row.state, error=f"{type(exc).__name__}: {exc}")
        if closed:
            log.info("open sagas recovered", closed=closed)
        return closed

    async def _recover_one(self, row: WorkflowRow) -> None:
        if row.kind == DELETE:
            await self._finish_delete(row.user_id)
        elif row.state == "compensating":
            await self._finish_compensation(row.user_id)
        else:  # started: roll forward; undo if the document cannot be written
            tg = TelegramUser.model_validate_json(row.data)
            try:
                await self._write_document(row.user_id)
            except Exception:
                await self._compensate(row.user_id)
                raise
            await self._commit(tg)
        log.info("saga recovered", kind=row.kind, user_id=row.user_id, state=row.state)
