"""An update whose handler wrote is one transaction: `kill -9` (or a failure) after the
handler's writes and before the commit leaves none of them, and the update runs again.

`yabot run` dies at `update.uncommitted`: the first /start of a new user has registered
them, begun the story and queued the welcome, all uncommitted (on PostgreSQL, where the
embedded documents live in a SQLite file of their own, registration is a saga that has
committed by then).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from tests.e2e.bot.fake_api import FakeBotAPI, message
from tests.e2e.bot.payments_env import (
    BACKENDS,
    backend_env,
    db_url,
    events_of,
    query,
    wait_until,
)
from tests.e2e.bot.service import run_service

pytestmark = pytest.mark.slow
UID = 8401


def written(url: str) -> tuple[int, int, int]:
    """The new user's profile, their queued messages, their `user_registered` events."""
    return (query(url, "SELECT count(*) FROM user_profiles WHERE user_id = :u", u=str(UID))[0][0],
            query(url, "SELECT count(*) FROM outgoing_messages WHERE chat_id = :c",
                  c=UID)[0][0],
            events_of(url, "user_registered", UID))


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_before_the_update_commit_leaves_nothing_and_the_restart_runs_it_once(
        tmp_path: Path, request: pytest.FixtureRequest, backend: str) -> None:
    env = backend_env(request, backend)
    url = db_url(tmp_path, env)
    with FakeBotAPI() as fake:
        with run_service(tmp_path, fake.url, webhook=True, YABOT_CRASH_AT="update.uncommitted",
                         MISSIONS_PER_DAY="0", **env) as svc:
            with contextlib.suppress(OSError):  # the 200 races the kill
                svc.hook(message(1, UID, "/start"))
            assert wait_until(lambda: svc.proc.poll() is not None, timeout=30), svc.log()
            assert svc.proc.returncode == -9
        # none of it half-written; with documents apart from PostgreSQL (the embedded
        # store's own SQLite file) registration is a saga that commits on its own first
        assert written(url) == ((0, 0, 0) if backend == "sqlite" else (1, 0, 1))
        assert query(url, "SELECT status FROM processed_updates WHERE update_id = 1") == [
            ("pending",)]
        with run_service(tmp_path, fake.url, webhook=True, MISSIONS_PER_DAY="0",
                         **env) as svc:
            fake.wait_text(UID, "Bienvenida")
            assert wait_until(lambda: query(
                url, "SELECT status FROM processed_updates WHERE update_id = 1") == [("done",)])
            time.sleep(0.5)
            assert written(url) == (1, 1, 1)
            assert fake.count_text(UID, "Bienvenida") == 1


def test_a_failure_before_the_update_commit_rolls_back_each_attempt(tmp_path: Path) -> None:
    url = db_url(tmp_path, {})
    with FakeBotAPI() as fake, run_service(tmp_path, fake.url, webhook=True,
                                           YABOT_FAIL_AT="update.uncommitted",
                                           MISSIONS_PER_DAY="0") as svc:
        svc.hook(message(1, UID, "/start"))
        assert wait_until(lambda: query(  # two attempts failed (then it backs off 2 s, 4 s…)
            url, "SELECT attempts FROM processed_updates WHERE update_id = 1")[0][0] >= 2,
            timeout=60), svc.log()
        time.sleep(0.5)
        assert written(url) == (0, 0, 0)  # no user, no reply queued, no registration
        assert fake.sent_to(UID) == []  # the captured welcome was dropped with each attempt
