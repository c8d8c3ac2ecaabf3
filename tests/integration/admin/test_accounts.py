"""AdminAccountService on SQLite and PostgreSQL: argon2 hashes, sessions, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from yabot.domain.errors import ConflictError, NotFoundError
from yabot.services.admin.accounts import AdminAccountService
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.repositories.admin_accounts import AdminAccountRepository
from yabot.storage.sql.tables import admin_accounts, admin_sessions

PASSWORD = "twelve chars ok"


def _db(accounts: AdminAccountService) -> Database:
    """The relational store behind the service (to look at the rows themselves)."""
    assert isinstance(accounts.store, AdminAccountRepository)
    return accounts.store.db


@pytest.fixture
async def accounts(relational_url: str) -> AsyncIterator[AdminAccountService]:
    db = Database(relational_url)
    await migrate(db)
    yield AdminAccountService(store=AdminAccountRepository(db), session_ttl=timedelta(minutes=5))
    await db.dispose()


async def test_passwords_are_stored_as_argon2_hashes(accounts: AdminAccountService) -> None:
    await accounts.add("ops", PASSWORD)
    async with _db(accounts).read() as conn:
        stored = (await conn.execute(sa.select(admin_accounts.c.password_hash))).scalar_one()
    assert stored.startswith("$argon2") and PASSWORD not in stored
    assert await accounts.verify("ops", PASSWORD)
    assert not await accounts.verify("ops", PASSWORD + "!")
    assert not await accounts.verify("nobody", PASSWORD)
    with pytest.raises(ConflictError):
        await accounts.add("ops", PASSWORD)


async def test_sessions_store_only_a_digest_and_end_with_the_operator(
        accounts: AdminAccountService) -> None:
    await accounts.add("ops", PASSWORD)
    token, session = await accounts.open_session("ops")
    assert (await accounts.session(token)) == session
    async with _db(accounts).read() as conn:
        ids = (await conn.execute(sa.select(admin_sessions.c.id))).scalars().all()
    assert token not in ids and len(ids) == 1
    assert await accounts.session("other") is None
    await accounts.remove("ops")
    assert await accounts.session(token) is None
    with pytest.raises(NotFoundError):
        await accounts.remove("ops")


async def test_audit_newest_first(accounts: AdminAccountService) -> None:
    await accounts.audit("ops", "a", "u1")
    await accounts.audit("ops", "b", "u2", "x" * 900)
    entries = await accounts.recent_audit()
    assert [e.action for e in entries] == ["b", "a"] and len(entries[0].detail or "") == 500
    assert [e.action for e in await accounts.recent_audit(target="u1")] == ["a"]
