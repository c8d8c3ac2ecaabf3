"""Workflows: the coordinator (per-user causal order), saga state and the scheduler."""
