"""Pure rules of the economy: streaks and gifts, levels, the daily mission pick, local days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from yabot.domain.days import local_day, week_start
from yabot.domain.economy import ItemEffect, Mission, Rule, TriviaQuestion, level_for
from yabot.services.economy.gift import gift_amount, next_streak
from yabot.services.economy.missions import pick
from yabot.settings import EconomySettings

MX = ZoneInfo("America/Mexico_City")


def test_streak_grows_day_after_day_and_resets_after_a_gap() -> None:
    assert next_streak(date(2026, 3, 10), []) == (1, False)
    assert next_streak(date(2026, 3, 10), [("2026-03-09", 4, False)]) == (5, False)
    assert next_streak(date(2026, 3, 10), [("2026-03-07", 4, False)]) == (1, False)


def test_one_missed_day_is_forgiven_once_a_month() -> None:
    history = [("2026-03-08", 3, False)]
    assert next_streak(date(2026, 3, 10), history) == (4, True)
    used = [("2026-03-08", 3, False), ("2026-03-05", 2, True)]
    assert next_streak(date(2026, 3, 10), used) == (1, False)
    last_month = [("2026-03-30", 3, False), ("2026-03-05", 2, True)]
    assert next_streak(date(2026, 4, 1), last_month) == (4, True)


def test_gift_grows_with_the_streak_up_to_the_cap_and_doubles_for_vip() -> None:
    s = EconomySettings(daily_gift_besitos=2, daily_gift_streak_cap=7,
                        vip_besitos_multiplier=2)
    assert [gift_amount(n, s, vip=False) for n in (1, 2, 7, 8, 30)] == [2, 3, 8, 8, 8]
    assert gift_amount(3, s, vip=True) == 8


def test_levels_from_lifetime_earnings() -> None:
    assert level_for(0) == (1, 10)
    assert level_for(9) == (1, 1)
    assert level_for(10) == (2, 20)
    assert level_for(10_000) == (10, None)


def test_the_mission_pick_is_stable_per_user_and_day() -> None:
    pool = [Mission(mission_id=f"m{i}", name=f"M{i}", rule=Rule(event="reaction_detected"),
                    reward=1) for i in range(6)]
    first = pick(pool, "7", "2026-03-10", 3)
    assert len(first) == 3 and first == pick(list(reversed(pool)), "7", "2026-03-10", 3)
    days = {tuple(m.mission_id for m in pick(pool, "7", f"2026-03-{d:02}", 3))
            for d in range(1, 15)}
    assert len(days) > 1  # not the same missions every day
    assert len(pick(pool, "7", "2026-03-10", 10)) == 6


def test_a_local_day_in_mexico_city() -> None:
    late = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # 21:30 of the 10th in Mexico City
    day = local_day(late, MX)
    assert day.key == "2026-03-10"
    assert day.start == datetime(2026, 3, 10, 6, tzinfo=UTC)
    assert day.end == datetime(2026, 3, 11, 6, tzinfo=UTC)
    assert week_start(late, MX) == datetime(2026, 3, 9, 6, tzinfo=UTC)  # Monday


def test_content_shapes_reject_bad_entries() -> None:
    with pytest.raises(ValidationError):
        ItemEffect(reveal_hint="h", unlock_fragment="f")
    with pytest.raises(ValidationError):
        ItemEffect()
    with pytest.raises(ValidationError, match="not an index of options"):
        TriviaQuestion(question_id="q", question="¿?", options=["a", "b"], answer=2)
    with pytest.raises(ValidationError):
        Rule(event="reaction_detected", count=0)
