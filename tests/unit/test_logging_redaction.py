"""Redaction runs on every log event, stdlib loggers and exceptions included."""

from __future__ import annotations

import io
import json
import logging

import pytest

from yabot.logs import configure_logging, get_logger
from yabot.settings import LogSettings

BOT_TOKEN = "123456789:AAH-secret-bot-token-DoNotLog-xyz"
JWT_SECRET = "jwt-secret-value-that-is-32-bytes-long!!"
HOOK_SECRET = "hook-secret-abc123"
DB_PASSWORD = "pg-Pa55word"


@pytest.fixture(params=["json", "console"])
def output(request: pytest.FixtureRequest) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(LogSettings(format=request.param, level="DEBUG"),
                      [BOT_TOKEN, JWT_SECRET, HOOK_SECRET], stream=stream)
    yield stream
    logging.getLogger().handlers.clear()


def assert_clean(text: str) -> None:
    for secret in (BOT_TOKEN, JWT_SECRET, HOOK_SECRET, DB_PASSWORD, "AAH-secret-bot"):
        assert secret not in text
    assert "***" in text


def test_known_secrets_in_messages_and_fields(output: io.StringIO) -> None:
    log = get_logger("test")
    log.info(f"calling https://api.telegram.org/bot{BOT_TOKEN}/getMe", token=BOT_TOKEN)
    log.info("config", jwt=JWT_SECRET, nested={"headers": {"x": HOOK_SECRET}})
    assert_clean(output.getvalue())


def test_url_passwords_and_authorization_headers(output: io.StringIO) -> None:
    log = get_logger("test")
    log.info("connecting", url=f"postgresql+asyncpg://yabot:{DB_PASSWORD}@db:5432/yabot")
    log.info("request", headers={"Authorization": "Bearer eyJhbGciOi.abc.def"})
    log.info("raw header Authorization: Bearer eyJhbGciOi.abc.def")
    text = output.getvalue()
    assert_clean(text)
    assert "eyJhbGciOi" not in text
    assert "yabot:***@db:5432" in text


def test_exceptions_are_redacted(output: io.StringIO) -> None:
    log = get_logger("test")
    try:
        raise ConnectionError(f"redis://:{DB_PASSWORD}@cache:6379 refused, token {BOT_TOKEN}")
    except ConnectionError:
        log.exception("failed")
    text = output.getvalue()
    assert "ConnectionError" in text and "Traceback" in text
    assert_clean(text)


def test_stdlib_loggers_pass_the_same_chain(output: io.StringIO) -> None:
    logging.getLogger("aiogram.client").warning("token is %s, secret %s", BOT_TOKEN, HOOK_SECRET)
    try:
        raise ValueError(JWT_SECRET)
    except ValueError:
        logging.getLogger("uvicorn.error").exception("boom")
    assert_clean(output.getvalue())


def test_json_format_is_one_object_per_line() -> None:
    stream = io.StringIO()
    configure_logging(LogSettings(format="json"), [BOT_TOKEN], stream=stream)
    try:
        get_logger("t").info("hello", token=BOT_TOKEN, user_id=7)
    finally:
        logging.getLogger().handlers.clear()
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["event"] == "hello" and record["user_id"] == 7
    assert record["token"] == "***" and record["level"] == "info"
