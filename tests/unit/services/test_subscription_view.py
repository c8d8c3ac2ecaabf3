"""The pure subscription rules: the current plan, expiry and the VIP test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yabot.domain.clock import as_utc
from yabot.services.subscriptions.service import subscription_view
from yabot.storage.sql.profiles import SubscriptionRecord

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def rec(plan: str, status: str = "active", end: datetime | None = None) -> SubscriptionRecord:
    return SubscriptionRecord(plan_type=plan, status=status, start_date=NOW - timedelta(days=9),
                              end_date=end, id=1)


def test_no_plan_is_free_active() -> None:
    view = subscription_view("1", [], NOW)
    assert (view.plan_type, view.status, view.is_vip, view.start_date) == (
        "free", "active", False, None)


def test_vip_rules() -> None:
    assert subscription_view("1", [rec("vip")], NOW).is_vip
    assert subscription_view("1", [rec("vip", end=NOW + timedelta(seconds=1))], NOW).is_vip
    assert not subscription_view("1", [rec("vip", end=NOW)], NOW).is_vip
    assert not subscription_view("1", [rec("vip", status="cancelled")], NOW).is_vip
    assert not subscription_view("1", [rec("premium")], NOW).is_vip


def test_passed_end_date_reads_expired_and_newest_wins() -> None:
    view = subscription_view("1", [rec("vip", end=NOW - timedelta(days=1)), rec("premium")], NOW)
    assert (view.plan_type, view.status, view.is_vip) == ("vip", "expired", False)


def test_naive_store_dates_are_utc() -> None:
    naive = datetime(2026, 5, 1, 12)
    assert as_utc(naive) == NOW
    view = subscription_view("1", [rec("vip", end=naive + timedelta(hours=1))], NOW)
    assert view.end_date == NOW + timedelta(hours=1) and view.is_vip
