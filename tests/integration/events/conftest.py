"""Fixtures shared with the multi-process bus fault tests."""

from tests.integration.test_bus_faults import db_path, spawn  # noqa: F401
