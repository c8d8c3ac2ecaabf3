"""Pure logic of the bot: texts, throttling, update parsing, reactions, secret check."""

from __future__ import annotations

import pytest
from aiogram.types import MessageReactionUpdated

from yabot.bot.handlers.reactions import reaction_type
from yabot.bot.inbox import parse_update, update_kind, update_user_id
from yabot.bot.middlewares import ThrottleConfig, ThrottleMiddleware
from yabot.bot.texts import language_of, t
from yabot.bot.webhook import secret_matches, webhook_url


def test_spanish_by_default_english_for_en_and_values_escaped() -> None:
    assert language_of(None) == "es"
    assert language_of("en") == language_of("en-GB") == "en"
    assert language_of("fr") == "es"
    assert t("menu") == "¿Qué quieres hacer?"
    assert t("menu", "en") == "What would you like to do?"
    assert "&lt;b&gt;" in t("welcome", "es", name="<b>")
    assert t("menu", "fr") == "¿Qué quieres hacer?"  # a language without a catalog: Spanish


def test_throttle_allows_a_burst_then_refills() -> None:
    throttle = ThrottleMiddleware(ThrottleConfig(burst=3, rate=1.0))
    assert [throttle.allow(1, 100.0) for _ in range(4)] == [True, True, True, False]
    assert throttle.allow(2, 100.0)  # another user has their own bucket
    assert throttle.allow(1, 101.0)  # one token back after a second
    assert not throttle.allow(1, 101.0)


def test_parse_update_accepts_updates_and_rejects_the_rest() -> None:
    raw = parse_update(b'{"update_id": 5, "message": {"message_id": 1, "date": 0,'
                       b' "chat": {"id": 9, "type": "private"}, "from": {"id": 9,'
                       b' "is_bot": false, "first_name": "A"}, "text": "hi"}}')
    assert update_kind(raw) == "message"
    assert update_user_id(raw) == 9
    for bad in (b"{not json", b"[]", b'{"update_id": "1"}', b'{"update_id": -1}',
                b'{"update_id": true}', b'{"update_id": 1, "message": {"text": 3}}'):
        with pytest.raises(ValueError):
            parse_update(bad)


def test_reaction_user_and_the_reaction_added() -> None:
    raw = {"update_id": 1, "message_reaction": {
        "chat": {"id": 3, "type": "private"}, "message_id": 7, "user": {
            "id": 3, "is_bot": False, "first_name": "A"}, "date": 0,
        "old_reaction": [{"type": "emoji", "emoji": "👍"}],
        "new_reaction": [{"type": "emoji", "emoji": "👍"}, {"type": "emoji", "emoji": "🔥"}]}}
    assert update_user_id(raw) == 3
    reaction = MessageReactionUpdated.model_validate(raw["message_reaction"])
    assert reaction_type(reaction) == "🔥"
    removed = reaction.model_copy(update={"new_reaction": []})
    assert reaction_type(removed) is None


def test_secret_check_and_webhook_url() -> None:
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches(None, "s3cret")
    assert not secret_matches("s3cre", "s3cret")
    assert webhook_url("https://bot.example/", "/telegram/webhook") == \
        "https://bot.example/telegram/webhook"
