"""What the drills read from the stores after a fault: backlog, lost and duplicated effects,
and the ledger's balance. SQLite through the stdlib, PostgreSQL through `psql`."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from load_env import Backend

BACKLOG = {
    "inbox": "SELECT count(*) FROM processed_updates WHERE status = 'pending'",
    "outbox": "SELECT count(*) FROM outbox WHERE sent = {false}",
    "replies": "SELECT count(*) FROM outgoing_messages WHERE status IN ('queued', 'sending') "
               "AND kind <> 'broadcast'",
}


class Probe:
    """Read-only queries against the drill's relational store."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.false = "false" if backend.database else "0"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.replace("{false}", self.false)
        if self.backend.database:
            url = self.backend.admin_url.rsplit("/", 1)[0] + "/" + self.backend.database
            out = subprocess.run(["psql", url, "-At", "-F", "\t", "-c", sql], check=True,
                                 capture_output=True, text=True, timeout=30).stdout
            return [tuple(line.split("\t")) for line in out.splitlines() if line]
        path = Path(self.backend.env["SQLITE_DATABASE_PATH"])
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql).fetchall()

    def scalar(self, sql: str) -> int:
        rows = self.rows(sql)
        return int(rows[0][0] or 0) if rows else 0

    def backlog(self) -> int | None:
        """Updates, events and replies not yet handled (None while the store is away)."""
        try:
            return sum(self.scalar(sql) for sql in BACKLOG.values())
        except (sqlite3.Error, subprocess.SubprocessError, OSError):
            return None

    def statuses(self, first: int, last: int) -> dict[int, str]:
        rows = self.rows("SELECT update_id, status FROM processed_updates "
                         f"WHERE update_id BETWEEN {int(first)} AND {int(last)}")
        return {int(u): str(s) for u, s in rows}

    def ledger(self) -> dict[str, int]:
        """Wallets against the ledger: both differences must be 0."""
        return {
            "balance_minus_entries": self.scalar(
                "SELECT (SELECT coalesce(sum(balance), 0) FROM wallets) - "
                "(SELECT coalesce(sum(amount), 0) FROM besitos_ledger)"),
            "held_minus_holds": self.scalar(
                "SELECT (SELECT coalesce(sum(held), 0) FROM wallets) - "
                "(SELECT coalesce(sum(held_delta), 0) FROM besitos_ledger)"),
            "reaction_entries_minus_rewards": self.scalar(
                "SELECT (SELECT count(*) FROM besitos_ledger WHERE reason = 'reaction') - "
                "(SELECT count(*) FROM reaction_rewards)"),
        }

    def sent_messages(self) -> int:
        return self.scalar("SELECT count(*) FROM outgoing_messages WHERE status = 'sent'")

    def dead_letters(self) -> dict[str, int]:
        return {"events": self.scalar("SELECT count(*) FROM dead_letters"),
                "updates": self.scalar(
                    "SELECT count(*) FROM processed_updates WHERE status = 'failed'")}


def lost_updates(sent: list[list[Any]], statuses: dict[int, str]) -> dict[str, int]:
    """Updates the webhook acknowledged (200) that are not `done`: lost, or dead-lettered."""
    accepted = [int(s[0]) for s in sent if s[4] == 200 and s[0] is not None]
    counts = {"accepted": len(accepted), "refused": sum(1 for s in sent if s[4] != 200),
              "lost": 0, "failed": 0}
    for update_id in accepted:
        status = statuses.get(update_id)
        if status is None or status == "pending":
            counts["lost"] += 1
        elif status == "failed":
            counts["failed"] += 1
    return counts
