"""Subscriptions: plans (free, premium, VIP), grants, expiry and notices."""
