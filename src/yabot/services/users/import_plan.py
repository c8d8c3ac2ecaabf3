"""What an import of legacy users would change, row by row (`UserImporter.plan`), and the
names both ways of writing it share (the opening balance's reason and idempotency key)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from yabot.services.users.legacy_rows import LegacyUser

REASON = "legacy import: opening balance"
Progress = Callable[[int], None]


def opening_key(user_id: str) -> str:
    """The idempotency key of a user's opening balance: one ledger entry per user, ever."""
    return f"legacy-import:opening:{user_id}"


@dataclass(frozen=True)
class RowPlan:
    row: LegacyUser
    create: bool
    opening: int  # besitos to award now (0: none, or awarded before)
    plan: bool  # set the paid plan
    backdate: bool  # set registration_date on the profile
    user_id: str  # row.user_id, computed once


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
