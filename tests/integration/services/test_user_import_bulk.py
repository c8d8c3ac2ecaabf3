"""The legacy import in bulk (SQLite: a chunk of rows per transaction, a few statements each)
writes what the row-by-row path through the domain services writes: the same profiles,
documents, wallets, ledger, subscriptions, event numbers and events, in the same order;
a re-run changes nothing; a failed or killed chunk leaves the chunks before it, and a
re-run finishes the import."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.integration.services.conftest import Stack, build_stack, storage_settings
from tests.integration.services.test_user_import import _count, _yabot, domain_for, export
from yabot.domain.views import TelegramUser
from yabot.faults import CRASH_ENV, FAIL_ENV, InjectedFailure
from yabot.services.container import DomainServices, user_importer
from yabot.services.users.importer import BULK_CHUNK, UserImporter
from yabot.services.users.legacy_rows import read_legacy_file
from yabot.storage.sql.tables import (
    besitos_ledger,
    event_log,
    event_sequences,
    outbox,
    subscriptions,
    user_profiles,
    wallets,
)

END = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
ROWS: list[dict[str, object]] = [
    {"telegram_user_id": 901, "username": "ana", "first_name": "Ana", "besitos": 25,
     "plan_type": "vip", "plan_end_date": END.isoformat(),
     "registration_date": "2023-05-04T10:00:00Z"},
    {"telegram_user_id": 902, "first_name": "Luisa", "besitos": 5,  # a bot user already
     "registration_date": "2022-01-02T03:04:05Z"},
    {"telegram_user_id": 903, "besitos": 3, "plan_type": "premium",
     "plan_end_date": "2020-01-01T00:00:00Z"},  # ended: stays free
    {"telegram_user_id": 904, "plan_type": "vip", "plan_end_date": END.isoformat()},
    {"telegram_user_id": 905},
    {"telegram_user_id": 906, "username": "eva", "last_name": "Ruiz", "language_code": "pt",
     "plan_type": "premium", "besitos": 1},
]
IMPORTED = "event_type IN ('user_registered', 'besitos_awarded', 'subscription_updated')"
VOLATILE = {"event_id", "timestamp", "correlation_id", "created_at", "updated_at"}


async def seed(domain: DomainServices) -> None:
    """Users of the bot before the import: one with besitos (a wallet, an event number), one
    with a premium plan that the import's vip plan replaces."""
    await domain.users.create_user(TelegramUser(id=902, first_name="Luis"))
    await domain.besitos.award("902", 10, "reaction", "reaction:902:1")
    await domain.users.create_user(TelegramUser(id=904, username="old"))
    await domain.subscriptions.set_plan("904", "premium", END - timedelta(days=30))


async def snapshot(stack: Stack) -> dict[str, list[Any]]:
    """Everything the import writes, without ids of events, clocks and correlation ids."""
    s, p = subscriptions.c, user_profiles.c
    queries: dict[str, Any] = {
        "profiles": sa.select(p.user_id, p.telegram_user_id, p.username, p.first_name,
                              p.last_name, p.language_code, p.registration_date, p.is_active,
                              p.last_activity).order_by(p.user_id),
        "documents": sa.text("SELECT id, doc FROM doc_users ORDER BY id"),
        "wallets": sa.select(wallets.c.user_id, wallets.c.balance, wallets.c.held)
        .order_by(wallets.c.user_id),
        "ledger": sa.select(*(besitos_ledger.c[n] for n in (
            "id", "user_id", "amount", "reason", "idempotency_key", "balance_after",
            "held_delta"))).order_by(besitos_ledger.c.id),
        "subscriptions": sa.select(s.id, s.user_id, s.plan_type, s.status, s.end_date)
        .order_by(s.id),
        "sequences": sa.select(event_sequences).order_by(event_sequences.c.user_id),
        "outbox": sa.select(outbox.c.id, outbox.c.event_type, outbox.c.partition_key,
                            outbox.c.data, outbox.c.sent).order_by(outbox.c.id),
        "event_log": sa.select(event_log.c.event_type, event_log.c.user_id,
                               event_log.c.event_data).order_by(event_log.c.event_data),
    }
    out: dict[str, list[Any]] = {}
    async with stack.stores.sql.read() as conn:
        for name, query in queries.items():
            out[name] = [_stable(tuple(r)) for r in await conn.execute(query)]
    out["event_log"].sort(key=repr)
    return out


def _stable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """JSON without volatile fields; a registration date of today (the column default) as
    "now"."""
    out: list[Any] = []
    for value in row:
        if isinstance(value, str) and value.startswith("{"):
            value = {k: _stable((v,))[0] for k, v in json.loads(value).items()
                     if k not in VOLATILE}
        elif isinstance(value, datetime) and value.year >= 2026:
            value = "now" if abs(value.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(
                minutes=5) else value
        out.append(value)
    return tuple(out)


async def import_into(stack: Stack, importer: UserImporter, path: Path) -> dict[str, int]:
    plan = await importer.plan(read_legacy_file(path))
    await importer.apply(plan)
    return plan.summary()


async def test_bulk_writes_what_the_row_by_row_path_writes(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    stacks = [await build_stack(storage_settings("embedded", tmp_path / n, request))
              for n in ("rows", "bulk")]
    try:
        path = export(tmp_path, ROWS)
        rows_stack, bulk_stack = stacks
        rows_domain, bulk_domain = domain_for(rows_stack), domain_for(bulk_stack)
        for domain in (rows_domain, bulk_domain):
            await seed(domain)
        bulk = user_importer(bulk_domain, bulk_stack.stores, chunk=4)
        assert bulk.bulk is not None  # SQLite: the bulk path

        by_rows = await import_into(rows_stack, UserImporter(rows_domain), path)
        in_bulk = await import_into(bulk_stack, bulk, path)

        assert in_bulk == by_rows == {
            "rows": 6, "users_to_create": 4, "users_existing": 2, "opening_balances": 4,
            "besitos_to_award": 34, "plans_to_set": 3, "plans_already_ended": 1,
            "unchanged": 0}
        expected, written = await snapshot(rows_stack), await snapshot(bulk_stack)
        assert written == expected
        assert [(r[1], r[2]) for r in written["outbox"]][4:] == [  # per row, in file order
            ("user_registered", "901"), ("besitos_awarded", "901"),
            ("subscription_updated", "901"), ("besitos_awarded", "902"),
            ("user_registered", "903"), ("besitos_awarded", "903"),
            ("subscription_updated", "904"), ("user_registered", "905"),
            ("user_registered", "906"), ("besitos_awarded", "906"),
            ("subscription_updated", "906")]
        async with bulk_stack.stores.sql.read() as conn:  # one correlation id per run
            ids = {json.loads(d)["correlation_id"] for d in (await conn.execute(
                sa.select(outbox.c.data).where(outbox.c.id > 4))).scalars()}
            ids |= set((await conn.execute(sa.select(besitos_ledger.c.correlation_id).where(
                besitos_ledger.c.idempotency_key.like("legacy-import:%")))).scalars())
        assert len(ids) == 1
        ctx = await bulk_domain.users.get_user_context("902")  # existing: profile untouched
        assert (ctx.profile.first_name, ctx.besitos) == ("Luis", 15)
        assert ctx.profile.registration_date == datetime(2022, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert [e["payload"]["balance"] for e in await bulk_stack.events(
            "besitos_awarded", "902")] == [10, 15]

        again = await import_into(bulk_stack, bulk, path)
        assert again["unchanged"] == 6
        assert await snapshot(bulk_stack) == written  # no row, no event, no number more
    finally:
        for stack in stacks:
            await stack.stores.disconnect_all()


async def test_a_failed_chunk_keeps_the_chunks_before_and_a_rerun_finishes(
        stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    domain = domain_for(stack)
    rows: list[dict[str, object]] = [
        {"telegram_user_id": 920 + i, "besitos": i + 1}
        | ({"plan_type": "vip", "plan_end_date": END.isoformat()} if i % 2 else {})
        for i in range(6)]
    path = export(tmp_path, rows)
    importer = user_importer(domain, stack.stores, chunk=2)
    monkeypatch.setenv(FAIL_ENV, "users_import.chunk.1")  # raises inside the 2nd transaction

    with pytest.raises(InjectedFailure):
        await import_into(stack, importer, path)

    # registration is a saga of its own with separate stores: the 2nd chunk's users exist
    registered = 2 if domain.users.atomic else 4
    assert len(await stack.events("user_registered")) == registered
    assert len(await stack.events("besitos_awarded")) == 2
    assert len(await stack.events("subscription_updated")) == 1
    monkeypatch.delenv(FAIL_ENV)
    summary = await import_into(stack, importer, path)
    assert (summary["users_to_create"], summary["opening_balances"]) == (6 - registered, 4)
    for event_type, count in (("user_registered", 6), ("besitos_awarded", 6),
                              ("subscription_updated", 3)):
        assert len(await stack.events(event_type)) == count, event_type
    for i in range(6):
        ctx = await domain.users.get_user_context(str(920 + i))
        assert (ctx.besitos, ctx.subscription.is_vip) == (i + 1, i % 2 == 1)
    assert (await import_into(stack, importer, path))["unchanged"] == 6


def test_a_killed_import_is_finished_by_a_rerun(tmp_path: Path) -> None:
    """SIGKILL inside the 2nd chunk's transaction (the CLI, BULK_CHUNK rows a chunk): the
    first chunk stays, the second is gone whole; the re-run writes the rest, nothing twice."""
    db, first, total = tmp_path / "yabot.db", BULK_CHUNK, BULK_CHUNK + 2000
    assert _yabot(db, "migrate").returncode == 0
    path = export(tmp_path, [{"telegram_user_id": 10_000 + i, "besitos": 1 + i % 3 * 7}
                             | ({"plan_type": "premium"} if i % 10 == 0 else {})
                             for i in range(total)])
    killed = _yabot(db, "users", "import", str(path),
                    extra_env={CRASH_ENV: "users_import.chunk.1"})
    assert killed.returncode == -9, killed.stderr
    assert _count(db, "SELECT count(*) FROM user_profiles") == first
    assert _count(db, f"SELECT count(*) FROM outbox WHERE {IMPORTED}") == first * 21 // 10

    done = _yabot(db, "users", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert f"users_to_create={total - first}, users_existing={first}" in done.stdout
    for sql, expected in (
            ("SELECT count(*) FROM user_profiles", total),
            ("SELECT count(*) FROM doc_users", total),
            ("SELECT count(*) FROM besitos_ledger", total),
            ("SELECT count(*) FROM subscriptions WHERE status = 'active'", total // 10),
            (f"SELECT count(DISTINCT event_id) FROM event_log WHERE {IMPORTED}",
             total * 21 // 10),
            (f"SELECT count(*) FROM outbox WHERE {IMPORTED}", total * 21 // 10),
            ("SELECT count(*) FROM event_log WHERE event_type = 'user_registered'", total),
            ("SELECT max(last_sequence) FROM event_sequences", 1),
            ("SELECT sum(balance) FROM wallets", sum(1 + i % 3 * 7 for i in range(total)))):
        assert _count(db, sql) == expected, sql
