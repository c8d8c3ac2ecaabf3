"""Shared fixtures. Server fixtures (Redis, PostgreSQL, nx-27017) live in tests/fixtures/."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.common",
    "tests.fixtures.mongo",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
]
