"""The economy group's cheap test before a transaction: frequent events nobody counts are
acknowledged unhandled; anything a loaded rule counts, or anything while the rules are not
loaded, goes to the handler."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from yabot.domain.economy import Achievement, Mission, Rule
from yabot.domain.events import (
    CommandExecuted,
    CommandExecutedPayload,
    MissionAssigned,
    MissionPayload,
    UserActivity,
    UserActivityPayload,
)
from yabot.services.economy.rules import RuleBook, Rules
from yabot.services.economy.service import EconomyService


def economy(rules: Rules | None) -> EconomyService:
    service = object.__new__(EconomyService)  # only `wants` and its rule book are used
    book = object.__new__(RuleBook)
    book._rules, book._loaded_at = rules, time.monotonic()
    service.rules = book
    return service


def command() -> CommandExecuted:
    return CommandExecuted(user_id="7", payload=CommandExecutedPayload(
        command="start", args="", outcome="ok"))


def rule(event: str) -> dict[str, Any]:
    return {"rule": Rule(event=event, count=2)}


def test_a_frequent_event_no_rule_counts_is_skipped() -> None:
    assert economy(Rules()).wants(command()) is False


def test_a_rule_that_counts_it_or_rules_not_loaded_let_it_through() -> None:
    achievement = Achievement(achievement_id="a", name="A", **rule("command_executed"))
    mission = Mission(mission_id="m", name="M", reward=1, **rule("command_executed"))
    assert economy(Rules(achievements=[achievement])).wants(command()) is True
    assert economy(Rules(missions=[mission])).wants(command()) is True
    assert economy(None).wants(command()) is True  # not loaded: the handler decides


def test_activity_events_always_reach_the_handler() -> None:
    event = UserActivity(user_id="7", payload=UserActivityPayload(activity="message"))
    assert economy(Rules()).wants(event) is True  # missions are assigned on activity


def test_a_type_no_rule_counts_is_skipped_even_when_rare() -> None:
    """`mission_assigned` (three per user and day) costs the economy nothing unless a rule
    counts it."""
    event = MissionAssigned(user_id="7", payload=MissionPayload(
        mission_id="m", name="M", reward=5, target=1, day="2026-12-07",
        expires_at=datetime(2026, 12, 8, tzinfo=UTC)))
    assert economy(Rules()).wants(event) is False
    achievement = Achievement(achievement_id="a", name="A", **rule("mission_assigned"))
    assert economy(Rules(achievements=[achievement])).wants(event) is True
