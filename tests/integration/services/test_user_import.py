"""Legacy user import against real stores: validated whole, idempotent on re-runs (ledger
entry with a deterministic key), plans become subscriptions; and the CLI end to end."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from tests.integration.services.conftest import Stack
from yabot.domain.views import TelegramUser
from yabot.services.container import DomainServices, build_services, user_importer
from yabot.services.users.importer import opening_key
from yabot.services.users.legacy_rows import LegacyFileError, read_legacy_file
from yabot.settings import (
    JwtSettings,
    Settings,
)
from yabot.storage.sql.tables import besitos_ledger, user_profiles

END = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
ROWS = [
    {"telegram_user_id": 901, "username": "ana", "first_name": "Ana", "besitos": 25,
     "plan_type": "vip", "plan_end_date": END.isoformat(),
     "registration_date": "2023-05-04T10:00:00Z"},
    {"telegram_user_id": 902, "first_name": "Luis", "language_code": "es"},
    {"telegram_user_id": 903, "besitos": 3, "plan_type": "premium",
     "plan_end_date": "2020-01-01T00:00:00Z"},  # ended: stays free
]


def domain_for(stack: Stack) -> DomainServices:
    settings = Settings.of(jwt=JwtSettings(algorithm="HS256", secret=SecretStr("s" * 32)))
    return build_services(settings=settings, stores=stack.stores, bus=stack.bus)


def export(tmp_path: Path, rows: list[dict[str, object]], name: str = "users.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_import_then_rerun_changes_nothing(stack: Stack, tmp_path: Path) -> None:
    domain = domain_for(stack)
    importer = user_importer(domain, stack.stores)
    await domain.users.create_user(TelegramUser(id=902, first_name="Luis"))  # via the bot
    rows = read_legacy_file(export(tmp_path, ROWS))

    plan = await importer.plan(rows)
    assert plan.summary() | {"rows": 3} == {
        "rows": 3, "users_to_create": 2, "users_existing": 1, "opening_balances": 2,
        "besitos_to_award": 28, "plans_to_set": 1, "plans_already_ended": 1, "unchanged": 1}
    await importer.apply(plan)

    ana = await domain.users.get_user_context("901")
    assert ana.besitos == 25 and ana.profile.username == "ana"
    assert ana.profile.registration_date == datetime(2023, 5, 4, 10, tzinfo=UTC)
    assert ana.subscription.is_vip and ana.subscription.end_date == END
    ended = await domain.users.get_user_context("903")
    assert ended.subscription.plan_type == "free" and ended.besitos == 3
    assert (await domain.users.get_user_context("902")).besitos == 0
    registered = await stack.events("user_registered")
    assert sorted(e["user_id"] for e in registered) == ["901", "902", "903"]

    again = await importer.plan(read_legacy_file(export(tmp_path, ROWS)))
    assert again.summary()["unchanged"] == 3
    await importer.apply(again)

    wallet = await domain.besitos.wallet("901")
    assert wallet.balance == 25 and [e.idempotency_key for e in wallet.entries] == [
        opening_key("901")]
    assert len(await stack.events("user_registered")) == 3
    assert len(await stack.events("besitos_awarded")) == 2
    assert len(await stack.events("subscription_updated", "901")) == 1


async def test_a_changed_opening_balance_is_a_conflict(stack: Stack, tmp_path: Path) -> None:
    importer = user_importer(domain_for(stack), stack.stores)
    await importer.apply(await importer.plan(read_legacy_file(export(tmp_path, ROWS[:1]))))
    changed = [ROWS[1], dict(ROWS[0], besitos=30)]

    with pytest.raises(LegacyFileError) as caught:
        await importer.plan(read_legacy_file(export(tmp_path, changed)))

    assert caught.value.problems == [
        "line 2: besitos: the opening balance of user 901 was imported as 25; "
        "it cannot change to 30"]
    async with stack.stores.sql.read() as conn:
        users = (await conn.execute(sa.select(user_profiles.c.user_id))).scalars().all()
    assert users == ["901"]  # 902 was not imported either


def _yabot(db: Path, *args: str,
           extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REDIS_", "DATABASE_URL", "MONGODB_", "BOT_"))}
    env["SQLITE_DATABASE_PATH"] = str(db)
    env |= extra_env or {}
    return subprocess.run([sys.executable, "-m", "yabot", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=db.parent)


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_cli_import_validates_first_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "yabot.db"
    assert _yabot(db, "migrate").returncode == 0
    csv = tmp_path / "legacy.csv"
    csv.write_text("telegram_user_id,username,besitos,plan_type,plan_end_date\n"
                   f"911,rosa,7,vip,{END.isoformat()}\n912,,0,,\nnope,x,1,,\n")

    bad = _yabot(db, "users", "import", str(csv))
    assert bad.returncode == 1
    assert "import error: line 4: telegram_user_id:" in bad.stderr
    assert "nothing was imported" in bad.stderr
    assert not db.exists() or _count(db, "SELECT count(*) FROM user_profiles") == 0

    csv.write_text(csv.read_text().replace("nope,x,1,,\n", ""))
    dry = _yabot(db, "users", "import", str(csv), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would change: rows=2, users_to_create=2" in dry.stdout
    assert _count(db, "SELECT count(*) FROM user_profiles") == 0

    done = _yabot(db, "users", "import", str(csv))
    assert done.returncode == 0, done.stderr
    assert "imported: rows=2, users_to_create=2" in done.stdout
    rerun = _yabot(db, "users", "import", str(csv))
    assert rerun.returncode == 0 and "unchanged=2" in rerun.stdout, rerun.stdout
    assert _count(db, "SELECT count(*) FROM user_profiles") == 2
    assert _count(db, f"SELECT count(*) FROM {besitos_ledger.name}") == 1
    assert _count(db, "SELECT balance FROM wallets WHERE user_id = '911'") == 7
    assert _count(db, "SELECT count(*) FROM subscriptions WHERE user_id = '911' "
                      "AND plan_type = 'vip' AND status = 'active'") == 1
