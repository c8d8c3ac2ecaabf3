"""Hostile input at the webhook of a real `yabot run`: size cap, nesting, encodings, types,
and generated updates (hypothesis). Never a 5xx, and no update stays pending."""

from __future__ import annotations

import http.client
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.bot.fake_api import FakeBotAPI, message
from tests.e2e.bot.service import HOOK_SECRET, Service, run_service

CAP = 1 << 20


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Path]]:
    tmp = tmp_path_factory.mktemp("hostile")
    with FakeBotAPI() as fake, run_service(tmp, fake.url, webhook=True) as service:
        yield service, tmp / "data" / "yabot.db"


def post_raw(service: Service, body: bytes, *, chunked: bool = False) -> int:
    host, port = service.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET,
               "Content-Type": "application/json"}
    try:
        if chunked:
            parts = (body[i:i + 65536] for i in range(0, len(body), 65536))
            conn.request("POST", "/telegram/webhook", parts, headers, encode_chunked=True)
        else:
            conn.request("POST", "/telegram/webhook", body, headers)
        return conn.getresponse().status
    finally:
        conn.close()


def pending_rows(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT update_id, status FROM processed_updates "
                            "WHERE status = 'pending'").fetchall()


def wait_no_pending(db: Path, timeout: float = 30.0) -> list[tuple[int, str]]:
    deadline = time.monotonic() + timeout
    while (rows := pending_rows(db)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return rows


def test_bodies_over_the_cap_get_413(svc: tuple[Service, Path]) -> None:
    service, _ = svc
    big = json.dumps({"update_id": 1, "pad": "x" * CAP}).encode()
    assert post_raw(service, big) == 413
    assert post_raw(service, big, chunked=True) == 413  # no Content-Length: cut while reading
    assert post_raw(service, json.dumps(message(2, 9001, "/start")).encode()) == 200


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"update_id": 3, "message": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
    b"\xff\xfe\x00garbage",
    b'{"update_id": 3.5}',
    b'{"update_id": true}',
    b'{"update_id": 99999999999999999999999}',
    b'{"update_id": -1}',
    b'{"update_id": 4, "message": {"message_id": "x", "date": [], "chat": 5}}',
    b'"just a string"',
    b"",
], ids=["nested-arrays", "nested-objects", "bad-utf8", "float-id", "bool-id", "huge-id",
        "negative-id", "wrong-types", "string", "empty"])
def test_malformed_bodies_get_400(svc: tuple[Service, Path], body: bytes) -> None:
    assert post_raw(svc[0], body) == 400


def test_utf16_update_is_read_not_crashed(svc: tuple[Service, Path]) -> None:
    body = json.dumps(message(5, 9002, "¡Hola! 🌙")).encode("utf-16")
    assert post_raw(svc[0], body) in (200, 400)


_ids = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=5),
                 st.none(), st.booleans(), st.floats(allow_nan=False))
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    update_id = draw(st.integers(min_value=10_000, max_value=2**40))
    user = {"id": draw(_ids), "is_bot": draw(st.booleans()),
            "first_name": draw(st.text(max_size=30)),
            "language_code": draw(st.sampled_from(["es", "en", "xx", ""]))}
    chat = {"id": draw(_ids), "type": draw(st.sampled_from(["private", "group", "channel", "?"]))}
    kind = draw(st.sampled_from(["message", "callback_query", "message_reaction", "junk"]))
    if kind == "message":
        body: Any = {"message_id": draw(_ids), "date": draw(_ids), "chat": chat, "from": user,
                     "text": draw(st.text(max_size=200))}
    elif kind == "callback_query":
        body = {"id": draw(st.text(max_size=10)), "from": user, "chat_instance": "ci",
                "data": draw(st.text(max_size=70)),
                "message": {"message_id": 1, "date": 1, "chat": chat}}
    elif kind == "message_reaction":
        body = {"chat": chat, "message_id": draw(_ids), "user": user, "date": 1,
                "old_reaction": [], "new_reaction": [{"type": "emoji",
                                                      "emoji": draw(st.text(max_size=3))}]}
    else:
        body = draw(_json)
    return {"update_id": update_id, kind: body}


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(update=updates())
def test_generated_updates_never_get_a_5xx(svc: tuple[Service, Path],
                                           update: dict[str, Any]) -> None:
    status = post_raw(svc[0], json.dumps(update).encode())
    assert status in (200, 400), (status, update)


def test_no_update_is_left_pending(svc: tuple[Service, Path]) -> None:
    """After the fuzzing above, every recorded update ended done or failed."""
    service, db = svc
    assert post_raw(service, json.dumps(message(7, 9003, "/start")).encode()) == 200
    assert wait_no_pending(db) == []
    with sqlite3.connect(db) as conn:
        recorded = conn.execute("SELECT count(*) FROM processed_updates").fetchone()[0]
    assert recorded >= 2
    assert service.proc.poll() is None, service.log()[-2000:]
