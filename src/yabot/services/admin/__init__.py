"""Operator-facing services: panel accounts and queries, dead letters, operations status."""
