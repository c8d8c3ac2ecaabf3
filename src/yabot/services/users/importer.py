"""UserImporter: bring the users of a legacy bot in, through the domain services.

`plan()` compares the validated rows with what the stores hold and says what would change
(the dry run); `apply()` does it in chunks. Every step is idempotent, so a second run of
the same file changes nothing and an interrupted run can simply be started again:
- a user that exists is left as it is (a missing registration date is back-filled);
- the opening balance is one ledger entry with the key `legacy-import:opening:{user_id}`;
  a key that exists with another amount is a conflict, reported before anything is written;
- a paid plan becomes a subscription unless that plan (type and end date) is already the
  current one; a plan that has ended and `free` rows change nothing (the import never
  cancels a plan).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from yabot.domain.clock import utcnow
from yabot.events.handler_context import Publisher
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.legacy_rows import LegacyFileError, LegacyUser, NumberedRow
from yabot.services.users.service import UserService
from yabot.services.wallet.service import BesitosService

CHUNK = 200  # rows per write transaction on the embedded default
REASON = "legacy import: opening balance"
Progress = Callable[[int], None]


def opening_key(user_id: str) -> str:
    return f"legacy-import:opening:{user_id}"


@dataclass(frozen=True)
class RowPlan:
    row: LegacyUser
    create: bool
    opening: int  # besitos to award now (0: none, or awarded before)
    plan: bool  # set the paid plan
    backdate: bool  # set registration_date on the profile


@dataclass
class ImportPlan:
    rows: list[RowPlan] = field(default_factory=list)
    ended_plans: int = 0

    def summary(self) -> dict[str, int]:
        return {"rows": len(self.rows),
                "users_to_create": sum(r.create for r in self.rows),
                "users_existing": sum(not r.create for r in self.rows),
                "opening_balances": sum(r.opening > 0 for r in self.rows),
                "besitos_to_award": sum(r.opening for r in self.rows),
                "plans_to_set": sum(r.plan for r in self.rows),
                "plans_already_ended": self.ended_plans,
                "unchanged": sum(not (r.create or r.opening or r.plan or r.backdate)
                                 for r in self.rows)}


class ImportServices(Protocol):
    """What the import goes through (`DomainServices` has them)."""

    @property
    def users(self) -> UserService: ...

    @property
    def besitos(self) -> BesitosService: ...

    @property
    def subscriptions(self) -> SubscriptionService: ...


class UserImporter:
    def __init__(self, domain: ImportServices) -> None:
        self.domain = domain
        self.store = domain.users.store

    async def plan(self, rows: Sequence[NumberedRow], progress: Progress | None = None,
                   ) -> ImportPlan:
        """What `apply` would do; LegacyFileError for conflicts with the stores."""
        out, problems, now = ImportPlan(), [], utcnow()
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
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
                    and profiles.get(uid) != user.registration_date))
            if progress is not None:
                progress(len(chunk))
        if problems:
            raise LegacyFileError(problems)
        return out

    async def apply(self, plan: ImportPlan, progress: Progress | None = None) -> None:
        atomic = self.domain.users.atomic
        for start in range(0, len(plan.rows), CHUNK):
            chunk = plan.rows[start:start + CHUNK]
            if not atomic:  # separate stores: each registration is a saga of its own
                for item in chunk:
                    if item.create:
                        await self.domain.users.create_user(item.row.telegram_user())
            async with self.domain.users.bus.transaction() as tx:
                for item in chunk:
                    await self._apply_row(tx, item, create=atomic and item.create)
            if progress is not None:
                progress(len(chunk))

    async def _apply_row(self, tx: Publisher, item: RowPlan, *, create: bool) -> None:
        user, uid = item.row, item.row.user_id
        if create:
            await self.domain.users.create_user(user.telegram_user(), tx=tx)
        if item.backdate:
            await self.store.set_registration_date(tx, uid, user.registration_date)
        if item.opening > 0:
            await self.domain.besitos.award(uid, item.opening, REASON, opening_key(uid), tx=tx)
        if item.plan:
            await self.domain.subscriptions.set_plan(uid, user.plan_type, user.plan_end_date,
                                                     tx=tx)
