"""UserImporter: bring the users of a legacy bot in.

`plan()` compares the validated rows with what the stores hold and says what would change
(the dry run); `apply()` does it in chunks, one transaction per chunk. Every step is
idempotent, so a second run of the same file changes nothing and an interrupted run can
simply be started again (the chunks committed before are seen as done):
- a user that exists is left as it is (a missing registration date is back-filled);
- the opening balance is one ledger entry with the key `legacy-import:opening:{user_id}`;
  a key that exists with another amount is a conflict, reported before anything is written;
- a paid plan becomes a subscription unless that plan (type and end date) is already the
  current one; a plan that has ended and `free` rows change nothing (the import never
  cancels a plan).

How a chunk is written: on SQLite (the embedded default; also with MongoDB documents) in
bulk, a few statements per chunk (`bulk_import.py`); on PostgreSQL row by row through the
domain services (`create_user`, `besitos.award`, `subscriptions.set_plan`), which lock
what they read. With separate stores each registration is a saga of its own, before the
chunk's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from yabot.domain.clock import utcnow
from yabot.domain.context import correlation, current_correlation_id
from yabot.events.handler_context import Publisher
from yabot.faults import checkpoint
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.bulk_import import BulkImport
from yabot.services.users.import_plan import (
    REASON,
    ImportPlan,
    Progress,
    RowPlan,
    opening_key,
)
from yabot.services.users.legacy_rows import LegacyFileError, NumberedRow
from yabot.services.users.ports import LegacyImportStore
from yabot.services.users.service import UserService
from yabot.services.wallet.service import BesitosService

# rows per transaction in bulk (and per read of the plan): fewer, bigger commits are faster
# (5,000 vs 2,000: ~12 % at 100,000 rows), but the chunk holds SQLite's writer (~1 s)
BULK_CHUNK = 5000
ROW_CHUNK = 200  # rows per transaction row by row
__all__ = ["ImportPlan", "RowPlan", "UserImporter", "opening_key"]


class ImportServices(Protocol):
    """What the import goes through (`DomainServices` has them)."""

    @property
    def users(self) -> UserService: ...

    @property
    def besitos(self) -> BesitosService: ...

    @property
    def subscriptions(self) -> SubscriptionService: ...


class UserImporter:
    def __init__(self, domain: ImportServices, bulk: LegacyImportStore | None = None, *,
                 chunk: int | None = None) -> None:
        """`bulk`: the bulk statements (SQLite only; `container.user_importer` passes them
        there); None: row by row. `chunk`: rows per transaction (tests)."""
        self.domain = domain
        self.store = domain.users.store
        self.bulk = None if bulk is None else BulkImport(bulk, domain.users.shared)
        self.chunk = chunk or (BULK_CHUNK if bulk is not None else ROW_CHUNK)

    async def plan(self, rows: Sequence[NumberedRow], progress: Progress | None = None,
                   ) -> ImportPlan:
        """What `apply` would do; LegacyFileError for conflicts with the stores."""
        out, problems, now = ImportPlan(), [], utcnow()
        for start in range(0, len(rows), BULK_CHUNK):  # reads: big chunks on any store
            chunk = rows[start:start + BULK_CHUNK]
            ids = [r.user.user_id for r in chunk]
            profiles, openings, plans = await self.store.legacy_state(
                ids, {opening_key(i): i for i in ids})
            for numbered in chunk:
                user, uid = numbered.user, numbered.user.user_id
                awarded = openings.get(uid)
                if awarded is not None and awarded != user.besitos:
                    problems.append(
                        f"line {numbered.line}: besitos: the opening balance of user {uid} "
                        f"was imported as {awarded}; it cannot change to {user.besitos}")
                paid = user.plan_type != "free"
                ended = paid and user.plan_end_date is not None and user.plan_end_date <= now
                out.ended_plans += ended
                out.rows.append(RowPlan(
                    row=user, create=uid not in profiles,
                    opening=user.besitos if awarded is None else 0,
                    plan=paid and not ended
                    and plans.get(uid) != (user.plan_type, user.plan_end_date),
                    backdate=user.registration_date is not None
                    and profiles.get(uid) != user.registration_date, user_id=uid))
            if progress is not None:
                progress(len(chunk))
        if problems:
            raise LegacyFileError(problems)
        return out

    async def apply(self, plan: ImportPlan, progress: Progress | None = None) -> None:
        """Write the plan, one transaction per chunk of rows (each commits whole or not at
        all: a failure leaves the chunks before it written, and a re-run does the rest).
        The events and ledger entries of one run share one correlation id."""
        with correlation(current_correlation_id()):
            for number, start in enumerate(range(0, len(plan.rows), self.chunk)):
                await self._apply_chunk(number, plan.rows[start:start + self.chunk])
                if progress is not None:
                    progress(min(self.chunk, len(plan.rows) - start))

    async def _apply_chunk(self, number: int, chunk: list[RowPlan]) -> None:
        users = self.domain.users
        if not users.atomic:  # separate stores: each registration is a saga of its own
            for item in chunk:
                if item.create:
                    await users.create_user(item.row.telegram_user())
        async with users.bus.transaction() as tx:
            if self.bulk is not None:
                await self.bulk.write(tx, chunk)
            else:
                for item in chunk:
                    await self._apply_row(tx, item, create=users.atomic and item.create)
            checkpoint(f"users_import.chunk.{number}")  # fault injection (tests)

    async def _apply_row(self, tx: Publisher, item: RowPlan, *, create: bool) -> None:
        user, uid = item.row, item.user_id
        if create:
            await self.domain.users.create_user(user.telegram_user(), tx=tx)
        if item.backdate:
            await self.store.set_registration_date(tx, uid, user.registration_date)
        if item.opening > 0:
            await self.domain.besitos.award(uid, item.opening, REASON, opening_key(uid), tx=tx)
        if item.plan:
            await self.domain.subscriptions.set_plan(uid, user.plan_type, user.plan_end_date,
                                                     tx=tx)
