"""Wallet: the besitos ledger (awards, spends, transfers), idempotent per key."""
